// Issue 10, kind 5: User-Agent tokens as a carrier: `Edg/<anything>.1` must not become a stored
// browser version, nor any other version that is not digits; unknown browser and OS families
// are stored as `other`, device models never.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

const WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)'
const PLANTED_UAS = [
  `${WIN} Chrome/120.0.0.0 Safari/537.36 Edg/hbauer.1`,
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/svenja77.0',
  `${WIN} Chrome/jkoch.0.0.0 Safari/537.36`,
  "JaneRoeBrowser/3.1 (Roe's Laptop; Windows NT 10.0)",
  'Mozilla/5.0 (Linux; Android 14; Pixel-of-Mia-Hartmann) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/ukrause.1 Safari/605.1.15',
]
const CONTROL_UA = `${WIN} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86`

definePlantedKind('kind 5: User-Agent version tokens', {
  async plant({ post, key }) {
    const users = usersOf('kind5-user', 3)
    for (const ua of [...PLANTED_UAS, CONTROL_UA]) {
      const res = await post(batch(key, users.map((user_id) => event({ name: 'login', user_id }))), { 'User-Agent': ua })
      expect(res.status).toBe(202)
    }
  },
  planted: { edgeVersion: 'hbauer', firefoxVersion: 'svenja77', chromeVersion: 'jkoch', unknownBrowser: 'JaneRoe', laptop: "Roe's", deviceModel: 'Hartmann', safariVersion: 'ukrause' },
  control: 'Edge',
  apiControl: 'Edge',
  async stored(server) {
    const rows = await server.query<{ browser: string; browser_version: string; os_version: string }>('SELECT DISTINCT browser, browser_version, os_version FROM events')
    expect(rows.length).toBeGreaterThan(1)
    for (const r of rows) {
      expect(r.browser_version).toMatch(/^\d{0,4}$/)
      expect(r.os_version).toMatch(/^\d{0,4}$/)
    }
    expect(rows).toContainEqual({ browser: 'Edge', browser_version: '131', os_version: '10' })
  },
})
