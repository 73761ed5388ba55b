// The README's quickstart as a new user runs it: the server (npm start's command) on a fresh
// embedded ClickHouse creates a demo app (its keys go to a terminal only; here stdout is a pipe,
// so it is a JSON log stream and says where the key is instead), takes a batch, stops on SIGTERM with
// exit code 0, and the CLI then finds the events with their derived fields. While the server
// runs, the CLI refuses with a clear message instead of fighting over the data directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'

const root = resolve(import.meta.dirname, '../..')
const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> }
const dir = tempDir('veil-fresh-')
const env = { PATH: process.env.PATH!, HOME: dir, DATA_DIR: join(dir, 'data'), APPS_FILE: join(dir, 'apps.json'), PORT: '0', TRUST_PROXY: '127.0.0.1' }

/** Runs an npm script's command line as npm would (without npm's own signal layer). */
function script(name: string, args: string[] = []): ChildProcess {
  const [bin, ...rest] = pkg.scripts[name]!.split(' ')
  return spawn(bin!, [...rest, ...args], { cwd: root, env })
}

function run(name: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = script(name, args)
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    child.on('exit', (code) => done({ code, out }))
  })
}

let server: ChildProcess | undefined
afterAll(() => server?.kill('SIGKILL'))

describe('fresh start', () => {
  let url = ''
  let key = ''
  const events = [event({ user_id: 'u-48213', session_id: 's-9c2f' }), event({ name: 'page_view', props: { path: '/reports/17' } })]

  it('starts with no set-up, creating a demo app, and keeps its keys out of the log stream', async () => {
    server = script('start')
    let out = ''
    await new Promise<void>((ready, fail) => {
      const t = setTimeout(() => fail(new Error(`no start within 30 s:\n${out}`)), 30_000)
      server!.stdout!.on('data', (d) => {
        out += d
        const port = /listening on http:\/\/localhost:(\d+)/.exec(out)
        if (port && /apps list/.test(out)) {
          url = `http://127.0.0.1:${port[1]}`
          clearTimeout(t)
          ready()
        }
      })
      server!.on('exit', (code) => fail(new Error(`exited ${code}:\n${out}`)))
    })
    const lines = out.trim().split('\n')
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow()
    expect(out).not.toMatch(/wk_|rk_/)
    // It names the command as it works here, in a checkout (the image's VEIL_CLI says `veil`: docker.test.ts).
    expect(out).toContain('(npm run veil -- apps list); make a read key with npm run veil -- apps rotate-key demo --read')
    const file = JSON.parse(readFileSync(env.APPS_FILE, 'utf8')) as { apps: { write_keys: string[]; read_keys: string[] }[] }
    key = file.apps[0]!.write_keys[0]!
    expect(key).toMatch(/^wk_/)
    expect(file.apps[0]!.read_keys[0]).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('takes a batch with the demo key', async () => {
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA, 'X-Forwarded-For': '81.2.69.160' },
      body: JSON.stringify(batch(key, events)),
    })
    expect(res.status).toBe(202)
    // The demo app's tracking plan covers the catalog (README quickstart) and its custom event.
    expect(await res.json()).toEqual({ accepted: 2, rejected: [], dropped: [] })
    const custom = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA, 'X-Forwarded-For': '81.2.69.160' },
      body: JSON.stringify(batch(key, [event({ name: 'report_export', props: { format: 'csv', rows: 12 } })])),
    })
    expect(await custom.json()).toEqual({ accepted: 1, rejected: [], dropped: [] })
  })

  it('answers the README\'s quickstart curl, run as written, with accepted: 1', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const block = /```sh\n(KEY=wk_[\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toMatch(/curl/)
    // Only the key and the address change: the key is the printed one, the port is this test's.
    const command = block!.replace(/^KEY=wk_\S*/m, `KEY=${key}`).replaceAll('http://localhost:8080', url)
    const { stdout } = await promisify(execFile)('bash', ['-c', command], { env })
    expect(stdout).toMatch(/^HTTP\/1\.1 202/)
    expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toEqual({ accepted: 1, rejected: [], dropped: [] })
  })

  it('has the CLI refuse, with a clear message, while the server holds the data directory', async () => {
    const r = await run('veil', ['sql', 'SELECT count() FROM events'])
    expect(r.code).toBe(3)
    expect(r.out).toMatch(/^veil: the data directory .* is in use by another process \(a running Veil server\?, pid \d+\)/)
  })

  it('stops on SIGTERM with exit code 0', async () => {
    const code = await new Promise<number | null>((done) => {
      server!.on('exit', (c) => done(c))
      server!.kill('SIGTERM')
    })
    expect(code).toBe(0)
    server = undefined
  })

  it('lets the CLI find the events with country, city, browser, OS and hashed ids', async () => {
    // The events sent above through a proxy from a London address (the curl one has no location).
    const r = await run('veil', ['sql', "SELECT name, country, city, browser, os, user_hash, session_hash, props FROM events WHERE country = 'GB' ORDER BY name"])
    expect(r.code).toBe(0)
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows).toHaveLength(3)
    expect(rows[2]).toMatchObject({ name: 'report_export', props: { format: 'csv' } })
    expect(rows[0]).toMatchObject({ name: 'login', country: 'GB', city: 'London', browser: 'Chrome', os: 'Windows' })
    expect(rows[0]!.user_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(rows[0]!.session_hash).toMatch(/^[0-9a-f]{16}$/)
    // One person's segment is a token until k people sent it (PRIVACY.md 17); the id stays :id.
    expect(rows[1]).toMatchObject({ name: 'page_view', props: { path: expect.stringMatching(/^\/~[0-9a-f]{16}\/:id$/) } })
    expect(r.out).not.toContain('u-48213')
  })

  it('refuses a writing statement in the CLI', async () => {
    const r = await run('veil', ['sql', 'DROP TABLE events'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/readonly/i)
  })
})
