// A key added while the server runs works once the server has reloaded APPS_FILE (it watches
// the file), and requests keep being answered meanwhile: none fails during the swap. A file
// that does not parse, or a plan file that breaks, leaves the previous apps in force; a plan
// file beside the apps file is watched too.
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { randomKey } from '../../src/apps/apps.ts'
import { startVeil, type Veil } from '../../src/boot/start-veil.ts'
import { tempDir } from '../support/server.ts'
import { verifyAgainstZod } from '../support/verify-fast-path.ts'
import { batch, event, post } from '../support/batch.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-reload-')
const APPS_FILE = join(dir, 'apps.json')
const firstKey = randomKey('wk')
let veil: Veil
let url = ''

beforeAll(async () => {
  writeFileSync(APPS_FILE, JSON.stringify({ apps: [{ id: 'shop', write_keys: [firstKey] }] }), { mode: 0o600 })
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(dir, 'ch'), APPS_FILE, LOG_LEVEL: 'silent', WRITER_MAX_DELAY_MS: '5' })
  veil = await startVeil(config, { verifyFastPath: verifyAgainstZod })
  url = `http://127.0.0.1:${veil.port}`
})
afterAll(() => veil?.stop())

const send = (key: string) => fetch(`${url}/v1/batch`, post(batch(key, [event()]))).then((r) => r.status)

describe('apps file reload', () => {
  it('accepts a key added by `veil apps rotate-key` while the server runs, with no request failing meanwhile', async () => {
    expect(await send(firstKey)).toBe(202)
    const statuses: number[] = []
    let during = 0
    let running = true
    // Two clients keep sending with the old key through the whole change.
    const clients = [0, 1].map(async () => {
      while (running) statuses.push(await send(firstKey).catch(() => -1))
    })
    try {
      // Asynchronously, so that the clients keep sending while the CLI rewrites the file.
      const stdout = await new Promise<string>((done, fail) =>
        execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'apps', 'rotate-key', 'shop', '--write'], { cwd: root, env: { PATH: process.env.PATH!, APPS_FILE }, encoding: 'utf8' }, (e, out) =>
          e ? fail(e) : done(out),
        ),
      )
      during = statuses.length
      const newKey = /new write key: (wk_\S+)/.exec(stdout)![1]!
      let status = 0
      for (let i = 0; i < 100 && status !== 202; i++) {
        status = await send(newKey)
        if (status !== 202) await new Promise((res) => setTimeout(res, 50))
      }
      expect(status).toBe(202)
      // A few more rounds with both keys after the swap.
      for (let i = 0; i < 5; i++) expect(await send(newKey)).toBe(202)
    } finally {
      running = false
      await Promise.all(clients)
    }
    // Requests were answered while the CLI ran and while the file was swapped.
    expect(during).toBeGreaterThan(2)
    expect(statuses.length).toBeGreaterThan(during)
    expect(statuses.filter((s) => s !== 202)).toEqual([])
  })

  it('keeps the previous apps when the file becomes invalid, and reloads on request (SIGHUP)', async () => {
    writeFileSync(APPS_FILE, '{"apps": [ broken')
    expect(veil.reloadApps()).toBe(false)
    expect(await send(firstKey)).toBe(202)

    const other = randomKey('wk')
    writeFileSync(APPS_FILE, JSON.stringify({ apps: [{ id: 'shop', write_keys: [other] }] }))
    expect(veil.reloadApps()).toBe(true)
    expect(await send(other)).toBe(202)
    expect(await send(firstKey)).toBe(401)
  })

  it('keeps the last good apps when a plan file breaks, and reads the plan file again when it is fixed', async () => {
    const key = randomKey('wk')
    const planFile = join(dir, 'shop-plan.json')
    const plan = (events: object) => writeFileSync(planFile, JSON.stringify({ mode: 'strict', events }))
    const custom = (name: string) => fetch(`${url}/v1/batch`, post(batch(key, [event({ name })]))).then(async (r) => (await r.json()) as { accepted: number })
    plan({ cart_opened: {} })
    writeFileSync(APPS_FILE, JSON.stringify({ apps: [{ id: 'shop', write_keys: [key], plan_file: 'shop-plan.json' }] }))
    expect(veil.reloadApps()).toBe(true)
    expect((await custom('cart_opened')).accepted).toBe(1)
    const ready = async () => (await (await fetch(`${url}/readyz`)).json()) as { status: string; config?: string }

    // A plan naming a person's field is refused: the reload (by the watch) keeps the last good one.
    writeFileSync(planFile, JSON.stringify({ events: { e: { props: { full_name: { kind: 'text' } } } } }))
    let body = await ready()
    for (let i = 0; i < 100 && body.config === undefined; i++) {
      await new Promise((res) => setTimeout(res, 50))
      body = await ready()
    }
    expect(body.status).toBe('ready')
    expect(body.config).toMatch(/^stale: .*full_name/)
    expect((await custom('cart_opened')).accepted).toBe(1)

    plan({ cart_opened: {}, cart_closed: {} })
    let accepted = 0
    for (let i = 0; i < 100 && accepted === 0; i++) {
      accepted = (await custom('cart_closed')).accepted
      if (accepted === 0) await new Promise((res) => setTimeout(res, 50))
    }
    expect(accepted).toBe(1)
    expect((await ready()).config).toBeUndefined()
  })

  it('applies an event added with `veil plan add-event` to a plan file while the server runs, with no request failing meanwhile', async () => {
    // The previous test left the app on shop-plan.json with cart_opened and cart_closed.
    const key = veil.apps.get('shop')!.write_keys[0]!
    const accepted = (name: string) => fetch(`${url}/v1/batch`, post(batch(key, [event({ name })]))).then(async (r) => [r.status, ((await r.json()) as { accepted: number }).accepted] as const)
    expect(await accepted('cart_paid')).toEqual([202, 0])
    const answers: (readonly [number, number])[] = []
    let running = true
    const client = (async () => {
      while (running) answers.push(await accepted('cart_opened').catch(() => [-1, 0] as const))
    })()
    try {
      await new Promise<void>((done, fail) =>
        execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'plan', 'add-event', 'shop', 'cart_paid'], { cwd: root, env: { PATH: process.env.PATH!, APPS_FILE }, encoding: 'utf8' }, (e) =>
          e ? fail(e) : done(),
        ),
      )
      let stored = 0
      for (let i = 0; i < 100 && stored === 0; i++) {
        stored = (await accepted('cart_paid'))[1]
        if (stored === 0) await new Promise((res) => setTimeout(res, 50))
      }
      expect(stored).toBe(1)
    } finally {
      running = false
      await client
    }
    expect(answers.length).toBeGreaterThan(2)
    expect(answers.filter(([status, n]) => status !== 202 || n !== 1)).toEqual([])
  })
})
