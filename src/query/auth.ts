// Read keys for the reports API (PRIVACY.md 10): `Authorization: Bearer rk_...` sees only the
// apps it was issued for. A missing or unknown key, or a write key, is 401; an app the key was
// not issued for is 403, whether or not that app exists, so ids cannot be probed.
import type { MiddlewareHandler } from 'hono'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'

export interface ReadEnv {
  Variables: { readApps: readonly AppConfig[] }
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="veil-reports"' }

export function createReadKeyAuth(apps: AppRegistry): MiddlewareHandler<ReadEnv> {
  return async function readKeyAuth(c, next) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')
    if (!match) return c.json({ error: 'send a read key: Authorization: Bearer rk_...' }, 401, CHALLENGE)
    const key = match[1]!
    if (apps.byWriteKey(key)) return c.json({ error: 'this is a write key; reports need a read key (rk_...)' }, 401, CHALLENGE)
    const readApps = apps.byReadKey(key)
    if (readApps.length === 0) return c.json({ error: 'unknown read key' }, 401, CHALLENGE)
    c.set('readApps', readApps)
    c.header('Cache-Control', 'no-store')
    await next()
  }
}

/** The app a request asks for, or why it may not have it. */
export function pickApp(readApps: readonly AppConfig[], requested: string | undefined): AppConfig | { status: 400 | 403; error: string } {
  if (requested === undefined) {
    if (readApps.length === 1) return readApps[0]!
    return { status: 400, error: `app: this read key sees ${readApps.length} apps; name one with ?app=` }
  }
  return readApps.find((a) => a.id === requested) ?? { status: 403, error: `this read key may not read app "${requested}"` }
}
