// The tracking plan over HTTP: GET /v1/plan answers an app's plan (write or read key), and a
// batch answer lists the props the plan dropped per declared key (else "[undeclared]"), counted
// in /metrics too; numbers are stored rounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey } from '../../src/apps/apps.ts'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
const shared = randomKey('rk')
const shop = testApp('shop', {
  read_keys: [shared],
  plan: { mode: 'strict', events: { cart_opened: { description: 'The cart was opened', props: { items: { kind: 'integer', required: true, min: 0, max: 1000 }, total_cents: { kind: 'integer', min: 0, max: 10_000_000 } } } } },
})
const other = testApp('other', { read_keys: [shared] })

beforeAll(async () => {
  s = await startTestServer({ apps: [shop, other], env: { METRICS_TOKEN: 'metrics-token-0123456789' } })
})
afterAll(() => s?.stop())

const get = (path: string, key?: string) => fetch(`${s.url}${path}`, key ? { headers: { Authorization: `Bearer ${key}` } } : {})

describe('GET /v1/plan', () => {
  it('answers the app of a write key, catalog included', async () => {
    for (const res of [await get('/v1/plan', shop.write_keys[0]), await get(`/v1/plan?key=${shop.write_keys[0]}`)]) {
      expect(res.status).toBe(200)
      const body = (await res.json()) as { app: string; mode: string; events: Record<string, unknown> }
      expect(body.app).toBe('shop')
      expect(body.mode).toBe('strict')
      expect(body.events.cart_opened).toEqual({
        description: 'The cart was opened',
        props: { items: { kind: 'integer', required: true, min: 0, max: 1000 }, total_cents: { kind: 'integer', min: 0, max: 10_000_000 } },
      })
      expect(Object.keys(body.events)).toContain('page_view')
    }
  })

  it('answers the app a read key names, and asks which when it sees several', async () => {
    expect(await (await get('/v1/plan?app=shop', shared)).json()).toMatchObject({ app: 'shop' })
    const many = await get('/v1/plan', shared)
    expect(many.status).toBe(400)
    expect(await many.json()).toEqual({ error: 'this key sees 2 apps; name one with ?app=' })
    expect((await get('/v1/plan?app=nope', shared)).status).toBe(403)
  })

  it('answers the plan as TypeScript types with ?format=ts', async () => {
    const res = await get('/v1/plan?format=ts', shop.write_keys[0])
    expect(await res.text()).toContain('"cart_opened": {\n    /** kind: integer; 0 to 1000 */\n    items: number\n')
  })

  it('refuses a request without a key or with an unknown one', async () => {
    expect((await get('/v1/plan')).status).toBe(401)
    const res = await get('/v1/plan', 'wk_unknownunknown')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'unknown key' })
  })
})

describe('the plan at POST /v1/batch', () => {
  it('stores declared props, drops the rest counted per declared key, and rejects undeclared events with a reason', async () => {
    const events = [
      event({ name: 'cart_opened', props: { items: 2, coupon: 'x', jane_roe_example_com: true, total_cents: 184_050 } }),
      event({ name: 'cart_opened', props: { items: 1, coupon: 'y', total_cents: 4_111_111_111 } }),
      event({ name: 'checkout_started' }),
      event({ name: 'user.jane_roe_example_com' }),
    ]
    const res = await fetch(`${s.url}/v1/batch`, post(batch(shop.write_keys[0]!, events)))
    expect(res.status).toBe(202)
    const body = await res.json()
    expect(body).toEqual({
      accepted: 2,
      rejected: [
        { index: 2, reason: 'this event\'s name is not in the app\'s tracking plan (an undeclared name is not repeated); declare it (README "Tracking plan")' },
        { index: 3, reason: 'this event\'s name is not in the app\'s tracking plan (an undeclared name is not repeated); declare it (README "Tracking plan")' },
      ],
      dropped: [],
      dropped_props: { '[undeclared]': 3, total_cents: 1 },
    })
    const metrics = await (await get('/metrics', 'metrics-token-0123456789')).text()
    expect(metrics).toContain('veil_dropped_props_total{key="[undeclared]",reason="undeclared"} 3')
    expect(metrics).toContain('veil_dropped_props_total{key="total_cents",reason="out_of_bounds"} 1')
    expect(metrics).not.toMatch(/jane|coupon|checkout_started/)
    await s.veil.writer.flush()
    const stored = await s.query<{ total: number }>("SELECT metrics['total_cents'] AS total FROM events WHERE app_id = 'shop' AND name = 'cart_opened' ORDER BY total")
    expect(stored.map((r) => r.total)).toEqual([0, 180_000])
  })

  it('answers without dropped_props when nothing was dropped', async () => {
    const res = await fetch(`${s.url}/v1/batch`, post(batch(shop.write_keys[0]!, [event({ name: 'cart_opened', props: { items: 1 } })])))
    expect(await res.json()).toEqual({ accepted: 1, rejected: [], dropped: [] })
  })
})
