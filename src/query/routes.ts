// The reports API (GET /v1/stats/...), its OpenAPI description and the dashboard, as one Hono
// app that src/http/route-modules.ts mounts at the root. Parameters are validated here, once (zod).
import { Hono } from 'hono'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppRegistry } from '../apps/apps.ts'
import { createReadKeyAuth, pickApp, type ReadEnv } from './auth.ts'
import { ENDPOINTS } from './endpoints.ts'
import { createOpenApi } from './openapi.ts'
import { describeIssues, resolveRange } from './params.ts'
import { BadQueryError } from './explore-params.ts'
import { createDashboardRoutes } from '../dashboard/routes.ts'

export interface StatsDeps {
  client: ClickHouseClient
  apps: AppRegistry
  now?: () => number
  /**
   * The report noise key (src/privacy/noise/noise-key.ts, passed by src/boot/build-app.ts); null
   * or left out gives exact figures (REPORT_NOISE=off: tests and development only).
   */
  noiseKey?: Buffer | null
}

export function createStatsRoutes(deps: StatsDeps): Hono {
  const now = deps.now ?? Date.now
  const noiseKey = deps.noiseKey ?? null
  const app = new Hono<ReadEnv>()
  const openApi = createOpenApi()

  // Errors of storage fall through to the server's onError (src/http/app.ts): logged, 500 JSON.
  app.get('/openapi.json', (c) => c.json(openApi))
  app.get('/v1/openapi.json', (c) => c.json(openApi))

  app.use('/v1/stats/*', createReadKeyAuth(deps.apps))
  app.get('/v1/stats/apps', (c) =>
    c.json({ apps: c.get('readApps').map((a) => ({ id: a.id, name: a.name ?? a.id, k: a.k_anonymity, salt_rotation_hours: a.salt_rotation_hours })) }),
  )
  for (const e of ENDPOINTS) {
    app.get(e.path, async (c) => {
      const parsed = e.schema.safeParse(c.req.query())
      if (!parsed.success) return c.json({ error: describeIssues(parsed.error) }, 400)
      const params = parsed.data as { app?: string; from?: string; to?: string; interval: 'day' | 'week' }
      const target = pickApp(c.get('readApps'), params.app)
      if ('error' in target) return c.json({ error: target.error }, target.status)
      const range = resolveRange(params, now())
      if (typeof range === 'string') return c.json({ error: range }, 400)
      try {
        return c.json(await e.run({ client: deps.client, app: target, range, noiseKey }, parsed.data))
      } catch (err) {
        // A request the app's plan cannot answer (an undeclared event or prop) names what is wrong.
        if (err instanceof BadQueryError) return c.json({ error: err.message }, 400)
        throw err
      }
    })
  }

  const root = new Hono()
  root.route('/', app)
  root.route('/', createDashboardRoutes())
  return root
}
