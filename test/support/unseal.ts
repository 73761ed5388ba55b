// Stored events read as the app's operator could while the period's salt lives (PRIVACY.md 17):
// values fewer than k people sent are tokens in the rows; tests that check what an SDK or a
// dialect delivered open them from their sealed copies (src/privacy/values/seal.ts).
import { valuesKey } from '../../src/privacy/values/keys.ts'
import { open } from '../../src/privacy/values/seal.ts'
import type { TestServer } from './server.ts'

/** Tokens of an app replaced by the values their sealed copies hold (tokens of a salt no longer held stay). */
export async function unsealerOf(s: TestServer, appId: string): Promise<(v: string) => string> {
  await s.veil.values.flush()
  // The salts the node holds (in its memory on the embedded engine, src/privacy/salts.ts).
  const keys = new Map(s.veil.salts.held(appId).map((h) => [h.period, valuesKey(h.salt, appId, h.period)]))
  const copies = await s.query<{ period: number; field: string; token: string; sealed: string }>(
    'SELECT period, field, token, any(sealed) AS sealed FROM sealed_values WHERE app_id = {app:String} GROUP BY period, field, token',
    { app: appId },
  )
  const values = new Map<string, string>()
  for (const c of copies) {
    const key = keys.get(Number(c.period))
    const value = key && open(key, c.field, c.token, c.sealed)
    if (value !== undefined && value !== '') values.set(c.token, value)
  }
  return (v) => v.replace(/~[0-9a-f]{16}/g, (t) => values.get(t) ?? t)
}

export interface ReadableEvent {
  event_id: string
  name: string
  ts: string
  user_hash: string
  session_hash: string
  org_hash: string
  user_kind: string
  screen_w: number
  browser: string
  deployment: string
  props: Record<string, string>
  metrics: Record<string, number>
}

/** Every stored event of the server's first app, in time order, tokens opened. */
export async function readableEvents(s: TestServer, appId = s.appId): Promise<ReadableEvent[]> {
  const unseal = await unsealerOf(s, appId)
  const rows = await s.query<ReadableEvent>(
    `SELECT toString(event_id) AS event_id, name, toString(ts) AS ts, user_hash, session_hash, org_hash, user_kind, screen_w, browser, deployment, props, metrics
     FROM events WHERE app_id = {app:String} ORDER BY ts`,
    { app: appId },
  )
  return rows.map((r) => ({
    ...r,
    name: unseal(r.name),
    props: Object.fromEntries(Object.entries(r.props).map(([k, v]) => [unseal(k), unseal(v)])),
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [unseal(k), v])),
  }))
}
