// Completes package-lock.json with the platform packages (other OSes and CPUs) of optional
// dependencies that a registry mirror does not serve: `npm install` then leaves them out of the
// lock, and `npm ci` refuses the lock as out of sync. The added entries carry os/cpu/libc, so
// they never install on a platform they do not match. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs'

const OSES = ['darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'android', 'openharmony', 'sunos', 'aix']
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el']

const path = process.argv[2] ?? 'package-lock.json'
const lock = JSON.parse(readFileSync(path, 'utf8'))
const pk = lock.packages
const added = []
for (const [where, info] of Object.entries(pk)) {
  for (const [dep, spec] of Object.entries(info.optionalDependencies ?? {})) {
    if (pk[`node_modules/${dep}`] || pk[`${where}/node_modules/${dep}`]) continue
    const name = dep.split('/').pop()
    const os = OSES.find((o) => name.includes(o))
    const cpu = CPUS.find((c) => new RegExp(`(^|-)${c}($|-)`).test(name))
    if (!os || !cpu) continue // not a platform package: leave it to npm
    const entry = { version: spec, cpu: [cpu], optional: true, os: [os] }
    if (name.includes('musl')) entry.libc = ['musl']
    else if (name.includes('gnu') && os === 'linux') entry.libc = ['glibc']
    pk[`node_modules/${dep}`] = entry
    added.push(`${dep}@${spec}`)
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)))
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n')
console.log(added.length ? `added ${added.length} platform entries:\n  ${added.join('\n  ')}` : 'lock file complete')
