// The outbox on the relay's own port (docs/relay.md "The outbox"): GET /outbox is a small page,
// GET /outbox.json the same data, for the site's data-protection officer to read every field that
// leaves the site before and after it does. POST /outbox/approve gives the approval a first
// forward may wait for (RELAY_REQUIRE_APPROVAL), with the relay key: not any visitor of the page.
import { timingSafeEqual, createHash } from 'node:crypto'
import { Hono } from 'hono'
import type { Outbox, OutboxView } from './outbox.ts'

export interface OutboxRouteDeps {
  outbox: Outbox
  spoolDir: string
  relayKey?: string
  now: () => number
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const digest = (s: string) => createHash('sha256').update(s).digest()

function page(v: OutboxView): string {
  const counts = (o: Record<string, number>) =>
    Object.entries(o).map(([k, n]) => `<tr><td>${escape(k)}</td><td>${n}</td></tr>`).join('') || '<tr><td colspan="2">none</td></tr>'
  const rows = (rs: readonly unknown[]) => rs.map((r) => `<li><code>${escape(JSON.stringify(r))}</code></li>`).join('')
  return `<!doctype html><meta charset="utf-8"><title>Veil relay outbox</title>
<style>body{font:14px system-ui;margin:2em;max-width:70em}code{font-size:12px;word-break:break-all}td{padding:0 1em}</style>
<h1>Veil relay outbox</h1>
<p>Every row below is exactly what leaves this site: hashes, tokens, declared values and coarse facts.
${v.approved ? 'Forwarding is approved.' : 'Forwarding waits for approval: <code>veil relay approve</code>.'}</p>
<h2>Pending: ${v.pending.rows} rows</h2><table>${counts(v.pending.perEvent)}</table><ol>${rows(v.pending.sample)}</ol>
<h2>Sent: ${v.sent.rows} rows in ${v.sent.forwards} forwards (${v.sent.refused} refused centrally)</h2><table>${counts(v.sent.perEvent)}</table>
<ol>${rows(v.sent.last.flatMap((f) => f.rows).slice(-100))}</ol>`
}

export function createOutboxRoutes(deps: OutboxRouteDeps): Hono {
  const app = new Hono()
  app.get('/outbox', (c) => c.html(page(deps.outbox.view(deps.spoolDir))))
  app.get('/outbox.json', (c) => c.json(deps.outbox.view(deps.spoolDir)))
  app.post('/outbox/approve', (c) => {
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!deps.relayKey || !sent || !timingSafeEqual(digest(sent), digest(deps.relayKey))) return c.json({ error: 'approving needs the relay key: Authorization: Bearer <RELAY_KEY>' }, 401)
    deps.outbox.approve(deps.now())
    return c.json({ approved: true })
  })
  return app
}
