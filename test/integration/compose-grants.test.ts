// docker-compose.yml gives Veil's ClickHouse users the users and grants of docs/operations.md
// ("Salts and keys") and nothing more (issue 28: it had CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT).
// No Docker here, so the init script the ClickHouse image runs (clickhouse-init/) runs with a
// stand-in `clickhouse` that hands over its SQL: its template must be keyGrants' text, each
// statement must parse (the engine's formatQuery), and the passwords must survive quoting.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { keyGrants } from '../../src/privacy/salt-vault.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-grants-')
let storage: Storage
beforeAll(async () => {
  storage = await openStorage({ DATA_DIR: join(dir, 'ch'), CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
})
afterAll(() => storage?.close())

/** The init script's SQL and the stand-in's arguments, with the users and passwords of veil.env. */
function initSql(env: Record<string, string>): { sql: string; args: string } {
  const bin = join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(bin, 'clickhouse'), `#!/bin/sh\necho "$@" > "${dir}/args"\ncat > "${dir}/sql"\n`, { mode: 0o755 })
  execFileSync('bash', [join(root, 'clickhouse-init/01-veil-users.sh')], {
    env: { PATH: `${bin}:${process.env.PATH}`, CLICKHOUSE_USER: 'admin', CLICKHOUSE_PASSWORD: 'admin-secret', VEIL_USER: 'veil', CLICKHOUSE_KEYS_USER: 'veil_ingest', ...env },
    stdio: 'pipe',
  })
  return { sql: readFileSync(join(dir, 'sql'), 'utf8'), args: readFileSync(join(dir, 'args'), 'utf8') }
}

const statements = (sql: string) => sql.split('\n').filter((l) => l && !l.startsWith('--'))

async function scalar(query: string, params: Record<string, string> = {}): Promise<string> {
  const rs = await storage.client.query({ query: `SELECT ${query} AS v`, query_params: params, format: 'JSONEachRow' })
  return (await rs.json<{ v: string }>())[0]!.v
}

describe('the ClickHouse init of docker-compose.yml', () => {
  it('runs the documented users and grants (keyGrants) as the container\'s administrator', async () => {
    expect(readFileSync(join(root, 'clickhouse-init/veil-users.sql.template'), 'utf8')).toBe(keyGrants({ database: 'veil', keysDatabase: 'veil_keys' }))
    const veilPassword = 'a long "pass\'word\\\\ & more'
    const { sql, args } = initSql({ VEIL_PASSWORD: veilPassword, CLICKHOUSE_KEYS_PASSWORD: "ingest's" })
    expect(args).toMatch(/--user admin --password admin-secret/)
    const run = statements(sql)
    const documented = statements(keyGrants({ database: 'veil', keysDatabase: 'veil_keys' }))
    expect(run).toHaveLength(documented.length)
    // The same statements, but for the passwords.
    expect(run.map((s) => s.replace(/BY '.*';$/, "BY '...';"))).toEqual(documented)
    for (const s of run) expect(await scalar('formatQuery({q:String})', { q: s.replace(/;$/, '') })).not.toBe('')
    // Each password reads back from its literal as the same string.
    const literal = (user: string) => new RegExp(`^CREATE USER IF NOT EXISTS ${user} IDENTIFIED WITH sha256_password BY ('.*');$`).exec(run.find((s) => s.includes(`EXISTS ${user} `))!)![1]!
    expect(await scalar(literal('veil'))).toBe(veilPassword)
    expect(await scalar(literal('veil_ingest'))).toBe("ingest's")
    expect(sql).not.toMatch(/ACCESS MANAGEMENT|GRANT ALL|WITH GRANT OPTION/i)
  })

  it('refuses user names the grants do not name, rather than creating users without them', () => {
    expect(() => initSql({ VEIL_USER: 'analytics', VEIL_PASSWORD: 'x', CLICKHOUSE_KEYS_PASSWORD: 'y' })).toThrow(/CLICKHOUSE_USER in veil.env must be veil/)
    expect(() => initSql({ CLICKHOUSE_KEYS_USER: '', VEIL_PASSWORD: 'x', CLICKHOUSE_KEYS_PASSWORD: 'y' })).toThrow(/CLICKHOUSE_KEYS_USER in veil.env must be veil_ingest/)
  })

  it('is what compose mounts for the image, which gives access management to its administrator only', () => {
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8')
    expect(compose).toContain('./clickhouse-init:/docker-entrypoint-initdb.d:ro')
    expect(compose).not.toMatch(/^\s+CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT:/m)
    expect(compose).toMatch(/CLICKHOUSE_USER=admin CLICKHOUSE_PASSWORD="\$\$CLICKHOUSE_ADMIN_PASSWORD"\s+CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1 exec \/entrypoint\.sh/)
    const example = readFileSync(join(root, 'veil.env.example'), 'utf8')
    expect(example).toMatch(/^CLICKHOUSE_USER=veil$/m)
    expect(example).toMatch(/^CLICKHOUSE_KEYS_USER=veil_ingest$/m)
  })
})
