// What every report function gets: storage, the app (with its k) and the validated range.
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../../apps/apps.ts'
import type { Range } from '../params.ts'
import type { Release } from '../release.ts'

export interface ReportContext {
  client: ClickHouseClient
  app: AppConfig
  range: Range
  /** The report noise key (release.ts); null only with REPORT_NOISE=off. */
  noiseKey: Buffer | null
}

/** How this answer's numbers are released: the app, its k and the noise key. */
export const releaseOf = (ctx: ReportContext): Release => ({ key: ctx.noiseKey, app: ctx.app.id, k: ctx.app.k_anonymity, drawn: new Map() })

/** The app's min_orgs_per_cell, 0 when off (cells.ts counting). */
export const minOrgsOf = (ctx: ReportContext) => ctx.app.min_orgs_per_cell ?? 0

/** The typed parameters every report query starts from (secondary suppression only for exact figures: cells.ts). */
export function baseParams(ctx: ReportContext) {
  return { app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, week: ctx.range.week, secondary: ctx.noiseKey === null }
}
