// What every report function gets: storage, the app (with its k) and the validated range.
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../../apps/apps.ts'
import type { Range } from '../params.ts'
import type { Release } from '../release.ts'

export interface ReportContext {
  client: ClickHouseClient
  app: AppConfig
  range: Range
  /** The report noise key (release.ts); null or absent: exact figures (REPORT_NOISE=off). */
  noiseKey?: Buffer | null
}

/** The app's min_orgs_per_cell, 0 when off (cells.ts counting). */
export const minOrgsOf = (ctx: ReportContext) => ctx.app.min_orgs_per_cell ?? 0

/** The typed parameters every report query starts from. */
export function baseParams(ctx: ReportContext) {
  return { app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, week: ctx.range.week }
}

/** Who releases this report's numbers (release.ts): no key, exact figures. */
export const releaseOf = (ctx: ReportContext): Release => ({ key: ctx.noiseKey ?? null, app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx) })
