// GET /v1/stats/rejections (issue 27, docs/reports.md "Rejections") with the official
// posthog-node: an event the strict plan does not declare is answered 200 and rejected; the
// rejections answer counts it by shape while fewer than k people sent it, and names it, with a
// plan snippet that declares it, once k people of the salt period did. On exact figures
// (REPORT_NOISE=off), where k people is the threshold; with noise on a name must also pass the
// gate of the release (rejections-noise.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostHog } from 'posthog-node'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { until } from '../support/compat.ts'

const K = 5
const app = testApp('strict-sdk', { k_anonymity: K, plan: { mode: 'strict', events: { invoice_paid: { props: { plan: { kind: 'enum', values: ['pro'] } } } } } })

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ apps: [app], env: { REPORT_NOISE: 'off' } })
})
afterAll(() => s?.stop())

interface Rejections {
  names: { kind: string; event: string; key: string | null; reason: string; events: number; snippet: string }[]
  unnamed: { kind: string; reason: string; events: number | null; names: number | null; suppressed: boolean }[]
}

/** People `from..to` each capture the undeclared "Invoice Sent" and the declared invoice_paid with an undeclared prop. */
async function send(from: number, to: number): Promise<void> {
  const ph = new PostHog(app.write_keys[0]!, { host: `${s.url}/posthog`, flushAt: 50, flushInterval: 0 })
  try {
    for (let i = from; i < to; i++) {
      const distinctId = `customer-${String.fromCharCode(97 + i)}@example.com`
      ph.capture({ distinctId, event: 'Invoice Sent', properties: { channel: 'mail' } })
      ph.capture({ distinctId, event: 'invoice_paid', properties: { plan: 'pro', coupon_code: 'spring' } })
    }
  } finally {
    await ph.shutdown()
  }
}

async function rejections(): Promise<Rejections> {
  await s.drained()
  await s.veil.values.flush()
  await s.veil.values.publisher.publishNow()
  const res = await s.veil.app.request('/v1/stats/rejections', { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as Rejections
}

describe('rejections card data', () => {
  it('counts an undeclared name by shape under k people, and names it with a plan snippet once k people sent it', async () => {
    await send(0, K - 1)
    const before = await until(rejections, (r) => r.unnamed.reduce((n, u) => n + (u.events ?? 0), 0) >= 2 * (K - 1), 'rejections under k')
    expect(before.names).toEqual([])
    expect(before.unnamed).toEqual(
      expect.arrayContaining([
        { kind: 'event', reason: 'not_in_plan', events: K - 1, names: 1, suppressed: false },
        { kind: 'prop', reason: 'undeclared_prop', events: K - 1, names: 1, suppressed: false },
      ]),
    )
    expect(JSON.stringify(before)).not.toMatch(/invoice_sent|coupon_code/)

    await send(K - 1, K)
    const after = await until(rejections, (r) => r.names.length >= 2, 'named rejections')
    const sent = after.names.find((n) => n.kind === 'event')!
    expect(sent).toMatchObject({ event: 'invoice_sent', key: null, reason: 'not_in_plan', events: K })
    expect(JSON.parse(sent.snippet)).toEqual({ events: { invoice_sent: { description: '', props: {} } } })
    const coupon = after.names.find((n) => n.kind === 'prop')!
    expect(coupon).toMatchObject({ event: 'invoice_paid', key: 'coupon_code', reason: 'undeclared_prop', events: K })
    expect(JSON.parse(coupon.snippet).events.invoice_paid.props).toEqual({ coupon_code: { kind: 'token' } })
  })
})
