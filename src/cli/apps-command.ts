// `veil apps ...`: apps and their keys in APPS_FILE. A running server picks the change up by
// itself (it watches the file; SIGHUP also reloads). New keys are shown once: read keys are
// stored only as hashes, write keys ship inside web pages anyway and stay readable.
import { hashKey, randomKey } from '../apps/apps.ts'
import { appSettings, AppsFileError, cliOption as option, findApp, parseSettingValue, readAppsJson, writeAppsJson, type RawApp } from './apps-file.ts'
import type { Output } from './output.ts'

export const appsUsage = (cli: string) => `usage: ${cli} apps <command>
  list [--json]                          apps, their write keys, read key ids and settings
  add <id> [--name "<name>"]             a new app with one write key and one read key
  rotate-key <id> [--write|--read]       add a new key (both kinds by default); old keys stay valid
  revoke <id> <key|key id>               remove one key (a read key by its key or its sha256: id)
  revoke <id> --old [--write|--read]     remove every key but the newest of each kind
  set <id> <setting> <value>             change a setting, e.g. set shop k_anonymity 10
  set <id> <setting> --unset             back to the default
  relay-add <relay id> <app>...          an on-prem relay site for these apps, with one relay key
  relay-list [--json]                    relay sites, their apps and key ids
  relay-rotate-key <relay id>            add a new relay key; the old one stays valid
  relay-remove <relay id>                remove a relay site and its keys
`

const readKeyId = (stored: string) => (stored.startsWith('sha256:') ? stored.slice(0, 19) : hashKey(stored).slice(0, 19))

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name)
  if (i < 0) return false
  args.splice(i, 1)
  return true
}

function kinds(args: string[]): { write: boolean; read: boolean } {
  const write = flag(args, '--write')
  const read = flag(args, '--read')
  return write || read ? { write, read } : { write: true, read: true }
}

export async function runApps(path: string, argv: string[], out: Output, cli = 'npm run veil --'): Promise<number> {
  const [command, ...rest] = argv
  const args = [...rest]
  switch (command) {
    case 'list': {
      const json = flag(args, '--json')
      const file = readAppsJson(path)
      for (const app of file.apps) {
        const { id, write_keys, read_keys = [], ...settings } = app
        const view = { id, write_keys, read_key_ids: read_keys.map(readKeyId), ...settings }
        if (json) {
          await out.write(JSON.stringify(view) + '\n')
          continue
        }
        await out.write(`${id}${typeof app.name === 'string' ? ` (${app.name})` : ''}\n`)
        for (const k of write_keys) await out.write(`  write key  ${k}\n`)
        for (const k of view.read_key_ids) await out.write(`  read key   ${k}\n`)
        for (const [k, v] of Object.entries(settings)) if (k !== 'name') await out.write(`  ${k} = ${JSON.stringify(v)}\n`)
      }
      return 0
    }
    case 'add': {
      const name = option(args, '--name')
      const [id] = args
      if (!id) throw new AppsFileError('give the new app an id: veil apps add <id>')
      const file = readAppsJson(path, { mayBeMissing: true })
      if (file.apps.some((a) => a.id === id)) throw new AppsFileError(`app "${id}" exists; see veil apps rotate-key`)
      const write = randomKey('wk')
      const read = randomKey('rk')
      file.apps.push({ id, ...(name ? { name } : {}), write_keys: [write], read_keys: [hashKey(read)] })
      writeAppsJson(path, file)
      await out.write(`added app "${id}"\n  write key: ${write}\n  read key:  ${read}   (shown once: only its hash is stored)\n`)
      return 0
    }
    case 'rotate-key': {
      const which = kinds(args)
      const file = readAppsJson(path)
      const app = findApp(file, args[0] ?? '')
      const lines: string[] = []
      if (which.write) {
        const k = randomKey('wk')
        app.write_keys = [...app.write_keys, k]
        lines.push(`  new write key: ${k}`)
      }
      if (which.read) {
        const k = randomKey('rk')
        app.read_keys = [...(app.read_keys ?? []), hashKey(k)]
        lines.push(`  new read key:  ${k}   (shown once: only its hash is stored)`)
      }
      writeAppsJson(path, file)
      await out.write(`app "${app.id}": the old keys stay valid until: veil apps revoke ${app.id} --old\n${lines.join('\n')}\n`)
      return 0
    }
    case 'revoke':
      return revoke(path, args, out)
    case 'relay-add':
    case 'relay-list':
    case 'relay-rotate-key':
    case 'relay-remove':
      return runRelays(path, command, args, out)
    case 'set': {
      const unset = flag(args, '--unset')
      const [id, setting, value] = args
      const settings = appSettings()
      const spec = setting ? settings.get(setting) : undefined
      if (!spec) throw new AppsFileError(`${setting ? `no setting "${setting}"` : 'which setting?'}; settings: ${[...settings.keys()].join(', ')}`)
      const file = readAppsJson(path)
      const app = findApp(file, id ?? '')
      if (unset) delete app[setting!]
      else if (value === undefined) throw new AppsFileError(`give a value: veil apps set ${app.id} ${setting} <value>, or --unset`)
      else app[setting!] = parseSettingValue(spec.kind, value)
      writeAppsJson(path, file)
      await out.write(unset ? `app "${app.id}": ${setting} back to its default\n` : `app "${app.id}": ${setting} = ${JSON.stringify(app[setting!])}\n`)
      return 0
    }
    default:
      await out.write(appsUsage(cli))
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
}

async function revoke(path: string, args: string[], out: Output): Promise<number> {
  const old = flag(args, '--old')
  const which = kinds(args)
  const file = readAppsJson(path)
  const app: RawApp = findApp(file, args[0] ?? '')
  const reads = app.read_keys ?? []
  let removed: string[]
  if (old) {
    removed = [...(which.write ? app.write_keys.slice(0, -1) : []), ...(which.read ? reads.slice(0, -1).map(readKeyId) : [])]
    if (which.write) app.write_keys = app.write_keys.slice(-1)
    if (which.read) app.read_keys = reads.slice(-1)
  } else {
    const key = args[1]
    if (!key) throw new AppsFileError(`which key? veil apps revoke ${app.id} <key|key id>, or --old`)
    const stored = (s: string) => (s.startsWith('sha256:') ? s : hashKey(s))
    const byId = key.startsWith('sha256:') && key.length >= 15
    const readMatches = reads.filter((s) => stored(s) === hashKey(key) || (byId && stored(s).startsWith(key)))
    const writeMatches = app.write_keys.filter((k) => k === key)
    if (readMatches.length + writeMatches.length === 0) throw new AppsFileError(`app "${app.id}" has no such key; see veil apps list`)
    if (readMatches.length > 1) throw new AppsFileError(`"${key}" matches ${readMatches.length} read keys; give more of the id`)
    if (writeMatches.length && app.write_keys.length === 1) {
      throw new AppsFileError(`"${key}" is the last write key of app "${app.id}": rotate-key first, then revoke it`)
    }
    app.write_keys = app.write_keys.filter((k) => !writeMatches.includes(k))
    app.read_keys = reads.filter((s) => !readMatches.includes(s))
    removed = [...writeMatches, ...readMatches.map(readKeyId)]
  }
  writeAppsJson(path, file)
  await out.write(removed.length ? `app "${app.id}": revoked ${removed.join(', ')}\n` : `app "${app.id}": nothing to revoke\n`)
  return 0
}

type RawRelay = { id: string; keys: string[]; apps: string[]; [other: string]: unknown }

/** Relay sites (docs/relay.md): keys shown once, stored as hashes like read keys. */
async function runRelays(path: string, command: string, args: string[], out: Output): Promise<number> {
  const file = readAppsJson(path)
  const relays = (Array.isArray(file.relays) ? file.relays : []) as RawRelay[]
  const [id, ...apps] = args.filter((a) => a !== '--json')
  const find = () => {
    const r = relays.find((x) => x.id === id)
    if (!r) throw new AppsFileError(`no relay "${id ?? ''}"; see veil apps relay-list`)
    return r
  }
  if (command === 'relay-list') {
    for (const r of relays) {
      const view = { id: r.id, apps: r.apps, key_ids: r.keys.map(readKeyId) }
      await out.write(args.includes('--json') ? JSON.stringify(view) + '\n' : `${r.id}: apps ${r.apps.join(', ')}; keys ${view.key_ids.join(', ')}\n`)
    }
    return 0
  }
  let key: string | undefined
  if (command === 'relay-add') {
    if (!id || apps.length === 0) throw new AppsFileError('veil apps relay-add <relay id> <app>...')
    if (relays.some((r) => r.id === id)) throw new AppsFileError(`relay "${id}" exists; see veil apps relay-rotate-key`)
    key = randomKey('rl')
    relays.push({ id, keys: [hashKey(key)], apps })
  } else if (command === 'relay-rotate-key') {
    const r = find()
    key = randomKey('rl')
    r.keys = [...r.keys, hashKey(key)]
  } else {
    const r = find()
    relays.splice(relays.indexOf(r), 1)
  }
  file.relays = relays
  writeAppsJson(path, file)
  await out.write(key ? `relay "${id}": relay key ${key}   (shown once: only its hash is stored; set it as RELAY_KEY at the site)\n` : `relay "${id}" removed\n`)
  return 0
}
