// Route modules mounted beside ingestion: the product managers' reports API and dashboard, and
// the browser SDK's script, the apps' tracking plans.
import type { Hono } from 'hono'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppRegistry } from '../apps/apps.ts'
import { createStatsRoutes } from '../query/routes.ts'
import { createSdkScriptRoutes } from './sdk-script.ts'
import { createPlanRoutes } from './plan-route.ts'

export interface RouteDeps {
  client: ClickHouseClient
  apps: AppRegistry
  now: () => number
  /** The report noise key; null with REPORT_NOISE=off (src/query/routes.ts). */
  noiseKey: Buffer | null
}

export function createRouteModules(deps: RouteDeps): Hono[] {
  return [createStatsRoutes(deps), createSdkScriptRoutes(), createPlanRoutes(deps)]
}
