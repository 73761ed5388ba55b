// Issue 10, kind 4: the batch context as a carrier: language tags with private-use parts, app
// versions with build metadata, a deployment or OS named after a person, odd screen sizes as
// a fingerprint. Only ISO languages, numeric versions, closed lists and buckets are stored.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

definePlantedKind('kind 4: context fields', {
  async plant({ post, key }) {
    const users = usersOf('kind4-user', 3)
    const contexts = [
      { lang: 'de-DE-x-hroth', app_version: '4.2.1+build.kvogel', deployment: 'lisas-workstation', screen: { w: 1917, h: 1043 } },
      { lang: 'qjroe', app_version: '7.0.0-anna.meier', deployment: 'cloud', screen: { w: 2011, h: 1119 } },
      { lang: 'en-Xdietz', app_version: 'hbraun-1.2', os: { name: "Greta Olsen's MacBook", version: 'gretas.1' } },
      { lang: 'fr-CA', app_version: '31.4.15', deployment: 'onprem', os: { name: 'Windows', version: '10.0.22631-wmaier' } },
    ]
    for (const context of contexts) {
      const res = await post(batch(key, users.map((user_id) => event({ name: 'login', user_id, props: { method: 'sso' } })), { context }))
      expect(res.status).toBe(202)
      expect(res.body.accepted).toBe(3)
    }
  },
  planted: {
    langPrivateUse: 'hroth', langMadeUp: 'qjroe', langRegion: 'Xdietz', buildMetadata: 'kvogel', prerelease: 'anna.meier',
    versionPrefix: 'hbraun', deployment: 'lisas', osName: 'Olsen', osVersion: 'gretas', osVersionSuffix: 'wmaier',
  },
  control: '31.4.15',
  apiControl: '31.4.15',
  async stored(server) {
    const rows = await server.query<{ lang: string; app_version: string; deployment: string; os: string; os_version: string; screen_w: number; screen_h: number }>(
      'SELECT DISTINCT lang, app_version, deployment, os, os_version, screen_w, screen_h FROM events ORDER BY app_version',
    )
    expect(rows).toEqual([
      { lang: 'en', app_version: '', deployment: '', os: 'other', os_version: '', screen_w: 0, screen_h: 0 },
      { lang: 'fr-CA', app_version: '31.4.15', deployment: 'onprem', os: 'Windows', os_version: '10', screen_w: 0, screen_h: 0 },
      { lang: 'de-DE', app_version: '4.2.1', deployment: '', os: 'Windows', os_version: '10', screen_w: 1600, screen_h: 1024 },
      { lang: '', app_version: '7.0.0', deployment: 'cloud', os: 'Windows', os_version: '10', screen_w: 1920, screen_h: 1080 },
    ])
  },
})
