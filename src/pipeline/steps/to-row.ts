// to_row: the anonymised event and the request's coarse facts as one events-table row.
// String and boolean props go to `props`, numbers to `metrics`, so aggregates can sum them.
import type { BatchFacts, ClientFacts, EventRow, HashedEvent } from '../types.ts'

export function createToRowStep() {
  return function toRow(
    event: HashedEvent,
    ctx: { appId: string; receivedAt: number; req: { facts: ClientFacts }; batch: BatchFacts },
  ): EventRow {
    const props: Record<string, string> = {}
    const metrics: Record<string, number> = {}
    for (const key in event.props) {
      const v = event.props[key]
      if (typeof v === 'number') metrics[key] = v
      else props[key] = String(v)
    }
    const { batch } = ctx
    const client = ctx.req.facts
    // The on-prem SDK has no User-Agent and reports its OS family and version instead.
    const os = client.os || batch.os?.name || ''
    const osVersion = client.os_version || (batch.os?.version ?? '').split('.')[0] || ''
    return [
      ctx.appId, event.id, event.name, event.ts, ctx.receivedAt, event.user_hash, event.session_hash,
      event.org_hash, event.salt_period, props, metrics, client.country, client.city, client.browser,
      client.browser_version, os, osVersion, client.device_type, batch.lang, batch.screen_w,
      batch.screen_h, batch.app_version, batch.deployment, event.user_kind,
    ]
  }
}
