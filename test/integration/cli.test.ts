// The operator's CLI as a process, the way it is run: `veil apps` against a real apps file (the
// server's own schema must accept every result), and `veil sql` piped into a reader, which must
// get every row however large the answer.
import { execFile, spawn } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createAppRegistry, hashKey, loadAppsFile } from '../../src/apps/apps.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-cli-')
const env = { PATH: process.env.PATH!, APPS_FILE: join(dir, 'apps.json'), DATA_DIR: join(dir, 'data') }

/** Runs the CLI as a process (asynchronously: the test worker stays responsive meanwhile). */
function veil(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 }, (e, out, err) => {
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err })
    })
  })
}
const file = () => JSON.parse(readFileSync(env.APPS_FILE, 'utf8')) as { apps: Record<string, unknown>[] }
const registry = () => createAppRegistry(loadAppsFile(env.APPS_FILE).apps)
const keysIn = (out: string, kind: 'wk' | 'rk') => [...out.matchAll(new RegExp(`\\b(${kind}_[A-Za-z0-9_-]+)`, 'g'))].map((m) => m[1]!)

describe('veil apps', () => {
  let write = ''
  let read = ''

  it('add creates an app whose keys work, storing only the read key hash, in a 0600 file', async () => {
    const r = await veil('apps', 'add', 'shop', '--name', 'Web shop')
    expect(r.code).toBe(0)
    ;[write] = keysIn(r.out, 'wk')
    ;[read] = keysIn(r.out, 'rk')
    expect(registry().byWriteKey(write)?.id).toBe('shop')
    expect(registry().byReadKey(read).map((a) => a.id)).toEqual(['shop'])
    expect(readFileSync(env.APPS_FILE, 'utf8')).not.toContain(read)
    expect(file().apps[0]).toMatchObject({ id: 'shop', name: 'Web shop', read_keys: [hashKey(read)] })
    expect(statSync(env.APPS_FILE).mode & 0o777).toBe(0o600)
    expect((await veil('apps', 'add', 'shop')).err).toMatch(/app "shop" exists/)
  })

  it('list shows write keys and read key ids, never a read key', async () => {
    const r = await veil('apps', 'list', '--json')
    expect(r.code).toBe(0)
    const [row] = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(row).toMatchObject({ id: 'shop', write_keys: [write], read_key_ids: [hashKey(read).slice(0, 19)] })
    expect((await veil('apps', 'list')).out).toContain(`write key  ${write}`)
    expect(r.out + (await veil('apps', 'list')).out).not.toContain(read)
  })

  it('rotate-key adds new keys and keeps the old ones valid until revoke --old', async () => {
    const r = await veil('apps', 'rotate-key', 'shop')
    expect(r.code).toBe(0)
    const [write2] = keysIn(r.out, 'wk')
    const [read2] = keysIn(r.out, 'rk')
    for (const k of [write, write2!]) expect(registry().byWriteKey(k)?.id).toBe('shop')
    for (const k of [read, read2!]) expect(registry().byReadKey(k)).toHaveLength(1)

    expect((await veil('apps', 'revoke', 'shop', '--old')).code).toBe(0)
    expect(registry().byWriteKey(write)).toBeUndefined()
    expect(registry().byReadKey(read)).toEqual([])
    expect(registry().byWriteKey(write2!)?.id).toBe('shop')
    expect(registry().byReadKey(read2!)).toHaveLength(1)
    write = write2!
    read = read2!
  })

  it('revoke removes one key by key or by read key id, and never the last write key', async () => {
    const r = await veil('apps', 'rotate-key', 'shop', '--read')
    const [read3] = keysIn(r.out, 'rk')
    expect(keysIn(r.out, 'wk')).toEqual([])
    expect((await veil('apps', 'revoke', 'shop', hashKey(read3!).slice(0, 19))).code).toBe(0)
    expect(registry().byReadKey(read3!)).toEqual([])
    expect((await veil('apps', 'revoke', 'shop', read)).code).toBe(0)
    expect(registry().byReadKey(read)).toEqual([])

    const last = await veil('apps', 'revoke', 'shop', write)
    expect(last.code).toBe(2)
    expect(last.err).toMatch(/last write key of app "shop"/)
    expect(registry().byWriteKey(write)?.id).toBe('shop')
    expect((await veil('apps', 'revoke', 'shop', 'wk_not_a_key_of_shop')).err).toMatch(/no such key/)
  })

  it('set changes any scalar setting of the app schema, checked by it, and --unset restores the default', async () => {
    expect((await veil('apps', 'set', 'shop', 'k_anonymity', '12')).code).toBe(0)
    expect((await veil('apps', 'set', 'shop', 'honor_gpc', 'false')).code).toBe(0)
    expect((await veil('apps', 'set', 'shop', 'rate_limit_rps', '40')).code).toBe(0)
    expect(registry().get('shop')).toMatchObject({ k_anonymity: 12, honor_gpc: false, rate_limit_rps: 40 })

    const low = await veil('apps', 'set', 'shop', 'k_anonymity', '1')
    expect(low.code).toBe(2)
    expect(low.err).toMatch(/k_anonymity: Too small/)
    expect((await veil('apps', 'set', 'shop', 'honor_gpc', 'maybe')).err).toMatch(/not a boolean/)
    expect((await veil('apps', 'set', 'shop', 'write_keys', 'x')).err).toMatch(/no setting "write_keys"; settings: .*k_anonymity/)
    expect(registry().get('shop')!.k_anonymity).toBe(12)

    expect((await veil('apps', 'set', 'shop', 'rate_limit_rps', '--unset')).code).toBe(0)
    expect(registry().get('shop')!.rate_limit_rps).toBeUndefined()
  })

  it('stores read keys left in clear by an older file as hashes at the next change, and they keep working', async () => {
    const f = file()
    const clear = 'rk_legacy_clear_read_key'
    f.apps[0]!.read_keys = [...(f.apps[0]!.read_keys as string[]), clear]
    writeFileSync(env.APPS_FILE, JSON.stringify(f))
    expect((await veil('apps', 'set', 'shop', 'k_anonymity', '8')).code).toBe(0)
    expect(readFileSync(env.APPS_FILE, 'utf8')).not.toContain(clear)
    expect(file().apps[0]!.read_keys).toContain(hashKey(clear))
    expect(registry().byReadKey(clear).map((a) => a.id)).toEqual(['shop'])
  })

  it('keeps fields of the file it does not know', async () => {
    const f = file()
    f.apps[0]!.future_setting = { kept: true }
    writeFileSync(env.APPS_FILE, JSON.stringify({ ...f, comment: 'ops' }))
    expect((await veil('apps', 'set', 'shop', 'k_anonymity', '7')).code).toBe(0)
    expect(file()).toMatchObject({ comment: 'ops', apps: [{ future_setting: { kept: true }, k_anonymity: 7 }] })
  })
})

describe('veil sql through a pipe', () => {
  it('delivers all 100,000 rows to a reader that drains slowly', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sql', 'SELECT number FROM numbers(100000)'], { cwd: root, env: { ...env, DATA_DIR: join(dir, 'sql-data') } })
    let lines = 0
    let last = ''
    let tail = ''
    let chunks = 0
    child.stdout.on('data', (d: Buffer) => {
      const text = tail + d.toString()
      const parts = text.split('\n')
      tail = parts.pop()!
      lines += parts.length
      if (parts.length) last = parts[parts.length - 1]!
      // A slow reader: the pipe fills and the CLI must wait for it, not exit.
      if (++chunks % 4 === 0) {
        child.stdout.pause()
        setTimeout(() => child.stdout.resume(), 5)
      }
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const code = await new Promise<number | null>((done) => child.on('close', done))
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(tail).toBe('')
    expect(lines).toBe(100_000)
    expect(Number((JSON.parse(last) as { number: unknown }).number)).toBe(99_999)
  }, 60_000)
})
