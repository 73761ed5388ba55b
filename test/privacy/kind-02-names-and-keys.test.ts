// Issue 10, kind 2: custom event names and prop keys that carry an e-mail address or a phone
// number. Even an open plan (development) refuses them: the event is rejected, the key dropped,
// and neither the name nor the key is echoed in the answer, the metrics or the quarantine.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

const CONTROL = 'export.zyqvox_clicked'

definePlantedKind('kind 2: names and keys', {
  plan: { mode: 'open', events: {} },
  async plant({ post, key }) {
    const users = usersOf('kind2-user', 3)
    const control = users.map((user_id) => event({ name: CONTROL, user_id, props: { file_format: 'csv' } }))
    const badNames = ['user.jane_roe_example_com', 'signup.kmueller_gmx_de', 'call.mobile_151_234_56_78', 'contact.p_schmidt_at_web_dot_de', 'lead.anna_berg_outlook', 'visit.ole_sand_example_io']
    const named = badNames.map((name) => event({ name, user_id: users[0] }))
    const keyed = [
      event({ name: 'settings_saved', user_id: users[1], props: { tobias_lang_example_net: true, ph_49_151_234_567_89: 1, mail_fkrause_gmail_com: 'x', theme: 'dark' } }),
    ]
    const res = await post(batch(key, [...control, ...named, ...keyed]))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(control.length + keyed.length)
    expect((res.body.rejected as unknown[]).length).toBe(badNames.length)
    expect(res.body.dropped_props).toEqual({ '[undeclared]': 3 })
  },
  planted: {
    emailName: 'jane_roe',
    providerName: 'kmueller',
    phoneName: '234_56_78',
    spelledOutName: 'p_schmidt',
    outlookName: 'anna_berg',
    tldName: 'ole_sand',
    emailKey: 'tobias_lang',
    phoneKey: '234_567',
    gmailKey: 'fkrause',
  },
  control: CONTROL,
  apiControl: CONTROL,
  async stored(server) {
    // One person's open name and key are tokens (PRIVACY.md 17): only `theme` was kept of the four.
    const rows = await server.query<{ keys: string[] }>("SELECT mapKeys(props) AS keys FROM events WHERE match(name, '^~[0-9a-f]{16}$')")
    // The three control events (sent before their name was published) and settings_saved, whose
    // three unsafe keys were dropped: one key each, a token.
    expect(rows).toHaveLength(4)
    for (const r of rows) expect(r.keys).toEqual([expect.stringMatching(/^~[0-9a-f]{16}$/)])
  },
})
