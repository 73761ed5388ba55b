// The salts of a ClickHouse server (PRIVACY.md 19), run on the embedded engine, which speaks the
// same SQL: wrapped with SALT_WRAP_KEY in a database of their own, unreadable without the key,
// agreed on by two nodes, deleted from disk at rotation; and the grants that keep them from the
// reporting role, printed by `veil migrate --dry-run` exactly as docs/operations.md shows them.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { createSaltVault, keyGrants } from '../../src/privacy/salt-vault.ts'
import { SaltUnwrapError, unwrapSalt, unwrapSecret } from '../../src/privacy/salt-wrap.ts'
import { tempDir } from '../support/server.ts'
import { filesHolding, readStored } from '../support/disk-scan.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const HOUR = 3600_000
const start = Math.floor(Date.now() / HOUR) * HOUR + HOUR + 60_000 // in the next hour: nothing is retired yet
const KEYS = 'veil_keys_test'
const wrapKey = randomBytes(32)
const dir = tempDir()
let clock = start
let storage: Storage

beforeAll(async () => {
  storage = await openStorage({ DATA_DIR: join(dir, 'ch'), CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
}, 60_000)
afterAll(() => storage?.close())

const vault = () => createSaltVault(storage.client, { database: KEYS, wrapKey, now: () => clock })
const rows = async (app: string) => {
  const rs = await storage.client.query({ query: `SELECT period, wrapped FROM ${KEYS}.salts WHERE app_id = {app:String} ORDER BY period`, query_params: { app }, format: 'JSONEachRow' })
  return (await rs.json<{ period: number; wrapped: string }>()).map((r) => ({ period: Number(r.period), wrapped: r.wrapped }))
}

describe('salts on a ClickHouse server', () => {
  it('are stored wrapped, in their own database: the table holds no salt, and the key opens it', async () => {
    clock = start
    const salt = await (await vault()).current('wrapped', 1)
    const stored = await rows('wrapped')
    expect(stored).toHaveLength(1)
    expect(stored[0]!.period).toBe(salt.period)
    expect(stored[0]!.wrapped).not.toContain(salt.salt.toString('hex'))
    expect(Buffer.from(stored[0]!.wrapped, 'hex').includes(salt.salt)).toBe(false)
    expect(unwrapSalt(wrapKey, stored[0]!.wrapped, 'wrapped', salt.period).equals(salt.salt)).toBe(true)
    const main = await storage.client.query({ query: "SELECT name FROM system.tables WHERE database = 'veil' AND name IN ('salts', 'secrets')", format: 'JSONEachRow' })
    expect(await main.json()).toEqual([])
  })

  it('keep the compat id key wrapped beside them, the same for every node and start', async () => {
    const [a, b] = await Promise.all([vault(), vault()])
    const [ka, kb] = await Promise.all([a.compatKey(), b.compatKey()])
    expect(ka.equals(kb)).toBe(true)
    expect((await (await vault()).compatKey()).equals(ka)).toBe(true)
    // Two nodes creating it together may each write one; all agree on the smallest.
    const rs = await storage.client.query({ query: `SELECT name, wrapped FROM ${KEYS}.secrets ORDER BY wrapped`, format: 'JSONEachRow' })
    const rows = await rs.json<{ name: string; wrapped: string }>()
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) {
      expect(r.name).toBe('compat_id_key')
      expect(r.wrapped).not.toContain(ka.toString('hex'))
      expect(Buffer.from(r.wrapped, 'hex').includes(ka)).toBe(false)
    }
    expect(unwrapSecret(wrapKey, rows[0]!.wrapped, 'compat_id_key').equals(ka)).toBe(true)
    expect(() => unwrapSecret(randomBytes(32), rows[0]!.wrapped, 'compat_id_key')).toThrow(SaltUnwrapError)
  })

  it('cannot be unwrapped without the key, nor moved to another app or period', async () => {
    clock = start
    const salt = await (await vault()).current('no-key', 1)
    const { wrapped } = (await rows('no-key'))[0]!
    expect(() => unwrapSalt(randomBytes(32), wrapped, 'no-key', salt.period)).toThrow(SaltUnwrapError)
    expect(() => unwrapSalt(wrapKey, wrapped, 'other-app', salt.period)).toThrow(SaltUnwrapError)
    expect(() => unwrapSalt(wrapKey, wrapped, 'no-key', salt.period + 3600)).toThrow(SaltUnwrapError)
  })

  it('are one per app and period for two nodes that create them at the same moment', async () => {
    clock = start
    const [nodeA, nodeB] = await Promise.all([vault(), vault()])
    await Promise.all([nodeA.current('shared', 24), nodeB.current('shared', 24)])
    clock = start + 10_000 // past the settle time, each node reads the period's salt again
    const [a, b] = await Promise.all([nodeA.current('shared', 24), nodeB.current('shared', 24)])
    expect(a.salt.equals(b.salt)).toBe(true)
    expect(a.orgKey.equals(b.orgKey)).toBe(true)
    // A node started later uses that salt too: it survives restarts on a server.
    expect((await (await vault()).current('shared', 24)).salt.equals(a.salt)).toBe(true)
  })

  it('are deleted at rotation, from the table and from every file, active part or not', async () => {
    clock = start
    const node = await vault()
    const old = await node.current('rotate', 1)
    const { wrapped } = (await rows('rotate'))[0]!
    clock = old.retiresAt + 1_000
    const next = await node.current('rotate', 1)
    expect(next.period).toBe(old.retiresAt / 1000)
    // The purge started at rotation runs in the background: wait for it, bounded.
    const until = Date.now() + 20_000
    while ((await rows('rotate')).some((r) => r.period === old.period) && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
    expect((await rows('rotate')).map((r) => r.period)).toEqual([next.period])
    expect(await node.purgeExpired()).toBe(0)
    const inactive = await storage.client.query({ query: `SELECT count() AS n FROM system.parts WHERE database = '${KEYS}' AND table = 'salts' AND active = 0`, format: 'JSONEachRow' })
    expect(Number((await inactive.json<{ n: string }>())[0]!.n)).toBe(0)
    const files = readStored(dir)
    expect(files.filter(({ content }) => content.includes(wrapped) || content.includes(Buffer.from(wrapped, 'hex'))).map(({ file }) => file)).toEqual([])
    // The scan sees wrapped salts where they are: the current one is on disk.
    const current = (await rows('rotate'))[0]!
    expect(filesHolding(dir, current.wrapped).length).toBeGreaterThan(0)
  })
})

describe('the grants that keep salts from the reporting role', () => {
  const grants = keyGrants({ database: 'veil', keysDatabase: 'veil_keys' })

  it('give the key database to the ingestion role only', () => {
    expect(grants).toMatch(/^GRANT .* ON veil_keys\.\* TO veil_ingest;$/m)
    expect(grants).not.toMatch(/^GRANT .* ON veil_keys\.\* TO veil;$/m)
    expect(grants).not.toMatch(/^GRANT .* ON veil\.\* TO veil_ingest;$/m)
  })

  it('are in docs/operations.md as they are, and printed by veil migrate --dry-run', async () => {
    expect(readFileSync(join(root, 'docs/operations.md'), 'utf8')).toContain('```sql\n' + grants + '```')
    const out = await new Promise<string>((done, fail) =>
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate', '--dry-run'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH!, APPS_FILE: join(tempDir(), 'apps.json') }, timeout: 30_000 }, (e, stdout) => (e ? fail(e) : done(stdout))),
    )
    const printed = grants.trimEnd().split('\n').map((l) => (l.startsWith('--') ? l : `-- ${l}`)).join('\n')
    expect(out).toContain(printed)
    expect(out).toContain('CREATE TABLE IF NOT EXISTS veil_keys.salts')
  }, 40_000)
})
