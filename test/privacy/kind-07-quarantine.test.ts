// Issue 10, kind 7: rejected events go to quarantine by their shape only (names and keys when
// the plan declares them, value types and lengths, the reason), never their string values: not
// scrubbed values, not the values of fields a scrubber does not look at.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind } from './harness.ts'

const CONTROL = 'checkout.zyqvox_started'

definePlantedKind('kind 7: quarantine', {
  // The control is declared, so the quarantine and the plan may show its name (issue 25).
  plan: { mode: 'strict', events: { [CONTROL]: { props: { step: { kind: 'enum', values: ['cart', 'pay'], required: true } } } } },
  async plant({ post, key }) {
    const rejected = [
      event({ name: CONTROL, props: { coupon_owner: 'Hanna Vogt', note: 'call 0151 2345 6789' } }),
      { ...event(), ts: 'gestern bei Rolf Menke' },
      { ...event(), name: 'Kündigung von Ilse Brandt' },
      event({ name: 'report_query', props: { status: 'ok', duration_ms: 5, comment: 'für Udo Pohl' } }),
      event({ name: 'feedback', props: { text: { mail: 'gerd.mahler' } as unknown as string } }),
      event({ name: 'login', ts: Date.now() - 400 * 86_400_000, user_id: 'maren.kolb', props: { method: 'sso' } }),
      'Beschwerde von Lutz Engel',
      event({ name: 'report_query', props: { report: 'export for sabine.ruf', duration_ms: 5, status: 'ok' } }),
      { ...event(), id: 'order-of-Birte-Lange' },
      event({ name: 'login', props: { method: 'sso' }, session_id: 12 as unknown as string, org_id: 'Konrad Zuse GmbH' }),
    ]
    const res = await post(batch(key, [event({ name: 'login' }), ...rejected]))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(1)
    expect((res.body.rejected as unknown[]).length).toBe(rejected.length)
    // A body that is not JSON at all is answered without being quoted back.
    const broken = await post(`{"key":"${key}","events":[{"name": Hilde Brandt}]}`)
    expect(broken.status).toBe(400)
  },
  planted: {
    undeclaredProp: 'Hanna Vogt', phone: '2345 6789', badTs: 'Rolf Menke', badName: 'Ilse Brandt', undeclaredOnRequired: 'Udo Pohl',
    nestedObject: 'gerd.mahler', brokenJson: 'Hilde', tooOldUser: 'maren.kolb', notAnObject: 'Lutz Engel', badToken: 'sabine.ruf', badId: 'Birte-Lange', org: 'Konrad Zuse',
  },
  control: CONTROL,
  apiControl: CONTROL,
  async stored(server) {
    const rows = await server.query<{ name: string; reason: string; event: string }>('SELECT name, reason, event FROM quarantine ORDER BY batch_index')
    expect(rows).toHaveLength(10)
    expect(rows[0]).toMatchObject({ name: CONTROL })
    expect(rows[0]!.reason).toBe('props.step is required by the tracking plan')
    expect(JSON.parse(rows[0]!.event)).toMatchObject({ props: { '[key 0: 12 chars]': 'string(10)', '[key 1: 4 chars]': 'string(19)' } })
    // Undeclared names are kept by their length only.
    expect(rows[2]).toMatchObject({ name: '[undeclared name: 25 chars]' })
  },
})
