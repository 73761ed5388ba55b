// Issue 10, kind 10: clients keep nothing raw (PRIVACY.md 16). The Node SDK takes the OS user, the
// host name and the home directory out of event names, prop keys, paths and values before they
// reach its queue files or the wire; the browser SDK stores no id (raw or hashed), no free text
// and only normalised paths in localStorage. Each part plants values, scans what was stored and sent, and carries
// a control value that must be found, so the scan is shown able to see.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser } from 'playwright-core'
import { createVeil } from '../../sdk/node/index.ts'
import { startTestServer, type TestServer } from '../support/server.ts'
import { readableEvents } from '../support/unseal.ts'
import { buildBrowserSdk } from '../sdk/support/build-browser.ts'
import { startStaticServer, type StaticServer } from '../sdk/support/static-server.ts'
import { launchChromium } from '../support/chromium.ts'

const CONTROL = 'ctl-kind10-visible'
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'

let server: TestServer
let site: StaticServer
let browser: Browser
let sdkDir: string
const cleanups: (() => unknown)[] = []

beforeAll(async () => {
  sdkDir = buildBrowserSdk()
  ;[server, site, browser] = await Promise.all([
    startTestServer(),
    startStaticServer(sdkDir),
    launchChromium([`--user-agent=${BROWSER_UA}`]),
  ])
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
  rmSync(sdkDir, { recursive: true, force: true })
})

/** Every spelling a planted name could leave in: as written, lower case, with _ . or nothing between its words. */
function spellings(name: string): string[] {
  const words = name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  return [name.toLowerCase(), words.join('_'), words.join('.'), words.join('-'), words.join('')]
}
const found = (haystack: string, needles: string[]) => needles.filter((n) => haystack.toLowerCase().includes(n))

/** Bodies posted to it, answered 202. */
async function collector(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = []
  const s: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      bodies.push(raw)
      const n = (JSON.parse(raw) as { events: unknown[] }).events.length
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, rejected: [], dropped: [] }))
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => s.close(r)))
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, bodies }
}

describe('Node SDK: the machine\'s names never leave it', () => {
  const machine = { user: 'Jane.Roe', host: 'PLANT-WS-17.corp.example', home: '/srv/people/jane.roe' }
  // The real host name too, when it names something (containers have random ones, which is fine).
  const real = hostname()
  const planted = [...spellings('jane.roe'), ...spellings('plant-ws-17'), '/srv/people', ...(real.length >= 6 && real !== 'localhost' ? spellings(real) : [])]

  function plant(veil: ReturnType<typeof createVeil>): void {
    veil.track('export.jane_roe.done', { rows: 3, run: CONTROL })
    veil.track('report.plant_ws_17.viewed', { janeroe_count: 2, [`${real.toLowerCase().replace(/[^a-z0-9]/g, '_').replace(/^[^a-z]+/, 'h')}_x`.slice(0, 40)]: 1 })
    veil.page('/users/jane.roe/settings?tab=1')
    veil.page('/srv/people/jane.roe/projects')
    veil.page(`/hosts/PLANT-WS-17/status`, { referrer_path: '/hosts/plant_ws_17' })
    veil.page(`/machines/${real}/overview`)
    veil.track('cm_data_import', { status: 'failed', error: `cannot read /srv/people/jane.roe/x.cfg on PLANT-WS-17 as Jane.Roe (${real})`, note: CONTROL })
    veil.feedback({ rating: 4, text: `jane roe here, on plant-ws-17.corp.example; ${CONTROL}` })
  }

  it('keeps them out of the queue files on disk', async () => {
    const queueDir = mkdtempSync(join(tmpdir(), 'veil-kind10-'))
    cleanups.push(() => rmSync(queueDir, { recursive: true, force: true }))
    // Nothing listens there: every event stays in the queue files.
    const veil = createVeil({ endpoint: 'http://127.0.0.1:9', key: 'wk_x', queueDir, machine, captureCrashes: false, captureExit: false, env: {}, timeoutMs: 500 })
    plant(veil)
    await veil.shutdown(100)
    const files = readdirSync(join(queueDir, 'queue')).filter((f) => f.endsWith('.log'))
    const disk = files.map((f) => readFileSync(join(queueDir, 'queue', f), 'utf8')).join('\n')
    expect(disk).toContain(CONTROL)
    expect(found(disk, planted)).toEqual([])
    // What stands in their place keeps the wire shape: names and keys as words, path segments as :id.
    expect(disk).toContain('"export.user.done"')
    expect(disk).toContain('"report.host.viewed"')
    expect(disk).toContain('/users/:id/settings')
    expect(disk).toContain('/:id/projects')
  })

  it('keeps them off the wire, and the server stores the events', async () => {
    const queueDir = mkdtempSync(join(tmpdir(), 'veil-kind10-'))
    cleanups.push(() => rmSync(queueDir, { recursive: true, force: true }))
    const c = await collector()
    const veil = createVeil({ endpoint: c.url, key: 'wk_x', queueDir, machine, captureCrashes: false, captureExit: false, env: {} })
    plant(veil)
    expect((await veil.flush()).queued).toBe(0)
    await veil.shutdown(100)
    const wire = c.bodies.join('\n')
    expect(wire).toContain(CONTROL)
    expect(found(wire, planted)).toEqual([])

    // The same bodies through the real server: stored, and nothing planted in the table either.
    for (const body of c.bodies) {
      const res = await server.veil.app.request('/v1/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('"wk_x"', JSON.stringify(server.writeKey)) })
      expect(res.status).toBe(202)
    }
    const rows = await server.query<Record<string, unknown>>(`SELECT * FROM events WHERE deployment = 'onprem'`)
    expect(found(JSON.stringify(rows), planted)).toEqual([])
    // The control, sent by one installation, is a token in the rows (PRIVACY.md 17): opened from
    // its sealed copy it is there, and nothing planted is behind any token either.
    const opened = JSON.stringify((await readableEvents(server)).filter((r) => r.deployment === 'onprem'))
    expect(opened).toContain(CONTROL)
    expect(found(opened, planted)).toEqual([])
  })
})

describe('browser SDK: localStorage holds nothing the server would not keep', () => {
  const USER = 'jane.roe@example.com'
  const ORG = 'acme-customer-4711'
  const FEEDBACK = 'Jane Roe here, call me on my mobile about the export'
  const sha = (s: string) => createHash('sha256').update(s).digest('hex')

  function appPage(path: string, endpoint: string): void {
    site.page(
      path,
      `<!doctype html><script type="module">
        import * as veil from '/veil.mjs'
        veil.init({ endpoint: '${endpoint}', key: '${server.writeKey}', consent: 'granted', autoPageViews: false, userId: '${USER}', orgId: '${ORG}', textProps: ['note'] })
        window.veil = veil
      </script>`,
    )
  }

  it('stores no id, raw or hashed, no free text and no raw path; sends ids raw to the server only, which stores them hashed', async () => {
    appPage('/offline', 'http://127.0.0.1:9')
    appPage('/online', server.url)
    const ctx = await browser.newContext()
    cleanups.push(() => ctx.close())
    const bodies: string[] = []
    ctx.on('request', (r) => r.url().endsWith('/v1/batch') && bodies.push(r.postData() ?? ''))
    const page = await ctx.newPage()
    await page.goto(`${site.url}/offline`)
    await page.waitForFunction(() => 'veil' in window)
    const storage = await page.evaluate(
      async ({ control, feedback }) => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        veil.track('rule_add', { rule_type: 'threshold', run: control, note: feedback })
        veil.login('jane.roe.second@example.com', { method: 'sso', run: control })
        veil.feedback({ rating: 2, text: feedback, topic: control })
        veil.page('/users/jane.roe/orders/4711?mail=jane.roe@example.com#top')
        await veil.flush() // nothing listens: the events stay stored
        return JSON.stringify({ ...localStorage })
      },
      { control: CONTROL, feedback: FEEDBACK },
    )
    expect(storage).toContain(CONTROL)
    for (const raw of [USER, ORG, 'jane.roe.second@example.com', 'jane.roe', 'acme-customer', FEEDBACK, 'call me', '4711']) expect(storage).not.toContain(raw)
    for (const id of [USER, ORG, 'jane.roe.second@example.com']) expect(storage).not.toContain(sha(id))
    expect(storage).not.toMatch(/user_id|org_id/)
    // The path is there, normalised: the scan sees paths.
    expect(storage).toContain('/users/:id/orders/:id')

    // The next page load, with the server up, sends what was stored (without ids: it counts for
    // its tab session), and a new event with the ids, raw, to the server only.
    await page.goto(`${site.url}/online`)
    await page.waitForFunction(() => 'veil' in window)
    const result = await page.evaluate(async ({ control }) => {
      const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
      veil.track('rule_change', { rule_type: 'threshold', run: control })
      return veil.flush()
    }, { control: CONTROL })
    expect(result.queued).toBe(0)
    const wire = bodies.join('\n')
    expect(wire).toContain(CONTROL)
    expect(wire).toContain(USER)
    expect(wire).not.toContain(sha(USER))
    // Read with tokens opened: the control, sent by one visitor, is a token (test/support/unseal.ts).
    const rows = (await readableEvents(server))
      .filter((r) => (r.props.run === CONTROL || r.props.topic === CONTROL) && r.deployment !== 'onprem')
      .sort((a, b) => a.name.localeCompare(b.name))
    expect(rows.map((r) => [r.name, r.user_kind])).toEqual([['feedback', 'visitor'], ['login', 'visitor'], ['rule_add', 'visitor'], ['rule_change', 'user']])
    expect(rows.every((r) => /^[0-9a-f]{16}$/.test(r.user_hash))).toBe(true)
    expect(/^[0-9a-f]{16}$/.test(rows.at(-1)!.org_hash)).toBe(true)
    const stored = JSON.stringify(await server.query('SELECT * FROM events WHERE deployment != \'onprem\''))
    for (const raw of [USER, ORG, 'jane.roe', sha(USER).slice(0, 16)]) expect(stored).not.toContain(raw)
  })
})
