// Issue 10, kind 6: paths as a carrier: usernames after users/u/profile and ~user, mixed
// letter-digit ids, JWTs, base64, ;jsessionid=, double-encoded and full-width e-mails, file
// names. Each becomes :id; a router template sent as `route` is stored instead of the path.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

const CONTROL = '/reports/zyqvox-monthly'
const PATHS = [
  '/users/jane.roe/settings',
  '/~hkoenig/docs',
  '/u/fritzbauer',
  '/profile/annika-lund',
  '/orders/ORDx7a9k2q/items',
  '/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqcm9lIn0.c2lnbmF0dXJlLWhlcmU',
  '/share/QmVydGEgS2xlaW4gPGJlcnRhQGV4YW1wbGUub3JnPg',
  '/cart;jsessionid=A1B2C3D4E5F6G7H8/checkout',
  '/contact/paul.weber%2540example.com/edit',
  '/contact/ｌｉｓａ．ｍａｙ＠ｅｘａｍｐｌｅ．ｃｏｍ',
  '/files/Gehaltsabrechnung_Schulz.pdf',
  '/search/Q2xhcmEgV29sZg==',
  '/invite/%E2%80%8Bkarl%E2%80%8B@example.com',
]

definePlantedKind('kind 6: paths', {
  async plant({ post, key }) {
    const users = usersOf('kind6-user', 3)
    const events = [
      ...users.map((user_id) => event({ name: 'page_view', user_id, props: { path: CONTROL } })),
      ...PATHS.map((path) => event({ name: 'page_view', user_id: users[0], props: { path, referrer_path: 'https://mail.example.com/inbox/olaf.jansen?x=1' } })),
      event({ name: 'page_view', user_id: users[1], props: { path: '/orders/jutta-frey-order/print', route: '/orders/:orderId/print' } }),
    ]
    const res = await post(batch(key, events))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(events.length)
  },
  planted: {
    usersSegment: 'jane.roe', tilde: 'hkoenig', uSegment: 'fritzbauer', profile: 'annika-lund', mixedId: 'ORDx7a9k2q',
    jwt: 'eyJzdWIiOiJqcm9l', base64: 'QmVydGEgS2xlaW4', jsessionid: 'A1B2C3D4E5', doubleEncoded: 'paul.weber', fullWidth: 'lisa.may',
    fullWidthRaw: 'ｌｉｓａ', fileName: 'Schulz', base64Padded: 'Q2xhcmEgV29sZg', zeroWidth: 'karl', referrer: 'olaf.jansen', routeSent: 'jutta-frey',
  },
  control: 'zyqvox-monthly', // table dumps escape '/' as '\/'
  apiControl: CONTROL,
  async stored(server) {
    const rows = await server.query<{ path: string }>("SELECT DISTINCT props['path'] AS path FROM events ORDER BY path")
    // Segments one person sent are tokens (PRIVACY.md 17); id-like ones :id, the template's too.
    const seg = '([a-z_-]+|:id|~[0-9a-f]{16})'
    for (const { path } of rows) expect(path).toMatch(new RegExp(`^(\\/${seg})*$`, 'i'))
    expect(rows.map((r) => r.path)).toContainEqual(expect.stringMatching(/^\/~[0-9a-f]{16}\/:id\/~[0-9a-f]{16}$/))
    expect(rows.map((r) => r.path)).toContainEqual(expect.stringMatching(/^\/~[0-9a-f]{16}\/~[0-9a-f]{16}$/))
  },
})
