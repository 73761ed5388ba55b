// String.prototype.isWellFormed / toWellFormed (ES2024, in Node 20): the lib setting is ES2022.
interface String {
  isWellFormed(): boolean
  toWellFormed(): string
}
