// Edits of APPS_FILE for `veil apps` and `veil plan`: the file is read as plain JSON (fields this
// version does not know survive), changed, validated as the server's start validates it (plan
// files included), and replaced atomically (a temporary file renamed over it, mode 0600), so a
// running server never reads half a file and never gets one it would refuse.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { appSchema, hashKey, parseAppsJson } from '../apps/apps.ts'

export type RawApp = Record<string, unknown> & { id: string; write_keys: string[]; read_keys?: string[] }
export interface RawAppsFile {
  apps: RawApp[]
  [other: string]: unknown
}

export class AppsFileError extends Error {
  override name = 'AppsFileError'
}

export function readAppsJson(path: string, { mayBeMissing = false } = {}): RawAppsFile {
  if (!existsSync(path)) {
    if (mayBeMissing) return { apps: [] }
    throw new AppsFileError(`no apps file at ${path} (APPS_FILE); create one with: veil apps add <id>`)
  }
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    throw new AppsFileError(`apps file ${path} is not valid JSON`)
  }
  if (!json || typeof json !== 'object' || !Array.isArray((json as RawAppsFile).apps)) {
    throw new AppsFileError(`apps file ${path} has no "apps" list`)
  }
  return json as RawAppsFile
}

/**
 * Validates the whole file as the server will, then swaps it in. Read keys still listed in
 * clear (files from before they were hashed) are stored as hashes on the way.
 */
export function writeAppsJson(path: string, file: RawAppsFile): void {
  for (const app of file.apps) {
    if (Array.isArray(app.read_keys)) app.read_keys = app.read_keys.map((k) => (typeof k === 'string' && k.startsWith('rk_') ? hashKey(k) : k))
  }
  checkAsServer(file, path)
  writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', 0o600)
}

/** Throws, with the server's own message, what the server's start would refuse in `file`. */
export function checkAsServer(file: RawAppsFile, path: string): void {
  try {
    parseAppsJson(file, path)
  } catch (e) {
    throw new AppsFileError(`not saved: ${(e as Error).message}`)
  }
}

/** Replaces `path` by renaming a complete temporary file over it, in the same directory. */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.veil.tmp`)
  writeFileSync(tmp, text, { mode })
  renameSync(tmp, path)
}

export function findApp(file: RawAppsFile, id: string): RawApp {
  const app = file.apps.find((a) => a.id === id)
  if (!app) throw new AppsFileError(`no app "${id}"; see veil apps list`)
  return app
}

export type SettingKind = 'number' | 'boolean' | 'string' | 'enum'

interface Def {
  type: string
  innerType?: { _zod: { def: Def } }
  entries?: Record<string, string>
}

/**
 * The scalar settings of an app, read from its zod schema (src/apps/apps.ts), so a setting added
 * there can be changed with `veil apps set` without touching the CLI.
 */
export function appSettings(): Map<string, { kind: SettingKind; values?: string[]; optional: boolean }> {
  const out = new Map<string, { kind: SettingKind; values?: string[]; optional: boolean }>()
  for (const [name, field] of Object.entries(appSchema.shape)) {
    if (name === 'id') continue
    let def = (field as { _zod: { def: Def } })._zod.def
    let optional = false
    while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
      if (def.type === 'optional') optional = true
      def = def.innerType._zod.def
    }
    if (def.type === 'number' || def.type === 'boolean' || def.type === 'string') out.set(name, { kind: def.type, optional })
    else if (def.type === 'enum') out.set(name, { kind: 'enum', values: Object.values(def.entries ?? {}), optional })
  }
  return out
}

/** A setting's value from the command line, typed as the schema wants it. */
export function parseSettingValue(kind: SettingKind, text: string): unknown {
  if (kind === 'number') {
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n)) throw new AppsFileError(`"${text}" is not a number`)
    return n
  }
  if (kind === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(text)) return true
    if (/^(false|no|off|0)$/i.test(text)) return false
    throw new AppsFileError(`"${text}" is not a boolean (true or false)`)
  }
  return text
}

/** Takes `name VALUE` out of a command's arguments (`veil apps`, `veil plan`); a name without a value is refused. */
export function cliOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const [, value] = args.splice(i, 2)
  if (value === undefined) throw new AppsFileError(`${name} needs a value`)
  return value
}
