// GET /v1/plan: an app's tracking plan, read-only (README "Tracking plan"). The app's write key
// (public anyway: it ships in the page), a read key, or the relay key of a site that serves the
// app (docs/relay.md) opens it, as `Authorization: Bearer` or `?key=`; `?format=ts` answers the
// TypeScript types the SDKs take.
import { Hono } from 'hono'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'
import { planOf } from '../plan/plans.ts'
import { planTypes } from '../plan/plan-types.ts'

function appsOfKey(apps: AppRegistry, key: string): readonly AppConfig[] {
  const writer = apps.byWriteKey(key)
  if (writer) return [writer]
  const relay = apps.byRelayKey(key)
  if (relay) return relay.apps.map((id) => apps.get(id)).filter((a): a is AppConfig => a !== undefined)
  return apps.byReadKey(key)
}

export function createPlanRoutes(deps: { apps: AppRegistry }): Hono {
  const routes = new Hono()
  routes.get('/v1/plan', (c) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    const key = bearer ?? c.req.query('key')
    if (!key) return c.json({ error: 'send the app\'s write key or a read key: Authorization: Bearer <key> or ?key=' }, 401)
    const apps = appsOfKey(deps.apps, key)
    if (apps.length === 0) return c.json({ error: 'unknown key' }, 401)
    const wanted = c.req.query('app')
    const app = wanted === undefined ? (apps.length === 1 ? apps[0] : undefined) : apps.find((a) => a.id === wanted)
    if (!app) {
      return wanted === undefined
        ? c.json({ error: `this key sees ${apps.length} apps; name one with ?app=` }, 400)
        : c.json({ error: `this key may not read the plan of app "${wanted}"` }, 403)
    }
    const { plan } = planOf(app)
    c.header('Cache-Control', 'no-store')
    if (c.req.query('format') === 'ts') return c.text(planTypes(app.id, plan), 200, { 'Content-Type': 'text/plain; charset=utf-8' })
    // Props kept verbatim are outside the anonymous data set (PRIVACY.md 17): the answer names them.
    const verbatim = Object.entries(plan.events).flatMap(([name, e]) => Object.entries(e.props).filter(([, p]) => p.verbatim).map(([key]) => `${name}.${key}`))
    return c.json({ app: app.id, mode: plan.mode, events: plan.events, own_events: Object.keys(app.plan?.events ?? {}), ...(verbatim.length ? { outside_anonymous_data: { props: verbatim, note: 'kept verbatim (scrubbed) for at most 30 days; not anonymous data' } } : {}) })
  })
  return routes
}
