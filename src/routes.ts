// Route modules mounted beside ingestion: the product managers' reports API and dashboard.
import type { Hono } from 'hono'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppRegistry } from './apps.ts'
import { createStatsRoutes } from './query/routes.ts'

export interface RouteDeps {
  client: ClickHouseClient
  apps: AppRegistry
  now: () => number
}

export function createRouteModules(deps: RouteDeps): Hono[] {
  return [createStatsRoutes(deps)]
}
