// The reports of the API as one table: path, parameters (zod) and the function answering.
// http/route-modules.ts serves it and openapi.ts describes it, so the two cannot disagree.
import type { z } from 'zod'
import { breakdownSchema, eventsSchema, limitSchema, rangeSchema } from './params.ts'
import type { ReportContext } from './reports/context.ts'
import { eventsReport } from './reports/events.ts'
import { breakdownReport } from './reports/breakdown.ts'
import { pagesReport } from './reports/pages.ts'
import { crashesReport } from './reports/crashes.ts'
import { sessionsReport } from './reports/sessions.ts'
import { reportQueriesReport } from './reports/report-queries.ts'
import { importsReport } from './reports/imports.ts'
import { changesReport } from './reports/changes.ts'
import { feedbackReport } from './reports/feedback.ts'
import { verbatimReport } from './reports/verbatim.ts'
import { exploreSchema } from './explore-params.ts'
import { exploreReport } from './explore.ts'
import { funnelReport, funnelSchema } from './funnel.ts'
import { rejectionsReport } from './rejections.ts'

export interface Endpoint<S extends z.ZodObject = z.ZodObject> {
  path: string
  summary: string
  schema: S
  run(ctx: ReportContext, params: z.infer<S>): Promise<unknown>
}

const endpoint = <S extends z.ZodObject>(e: Endpoint<S>) => e as unknown as Endpoint

export const ENDPOINTS: Endpoint[] = [
  endpoint({
    path: '/v1/stats/events',
    summary: 'Active users and events per event name over time, and per name over the range',
    schema: eventsSchema,
    run: (ctx, p) => eventsReport(ctx, p.event),
  }),
  endpoint({
    path: '/v1/stats/breakdown',
    summary: 'Users and events by country, OS, browser, device type, language, screen size or app version',
    schema: breakdownSchema,
    run: (ctx, p) => breakdownReport(ctx, p.dimension, p.event),
  }),
  endpoint({ path: '/v1/stats/pages', summary: 'Page views and viewers per normalised path', schema: limitSchema, run: (ctx, p) => pagesReport(ctx, p.limit) }),
  endpoint({
    path: '/v1/stats/crashes',
    summary: 'Crash rate per app version (crashes per app start) and the top crash fingerprints',
    schema: limitSchema,
    run: (ctx, p) => crashesReport(ctx, p.limit),
  }),
  endpoint({ path: '/v1/stats/sessions', summary: 'Session length (app_stop uptime) over time: count, average, p50, p95', schema: rangeSchema, run: (ctx) => sessionsReport(ctx) }),
  endpoint({
    path: '/v1/stats/report-queries',
    summary: 'Report-statistics queries per report: count, users, failures, p50 and p95 duration',
    schema: limitSchema,
    run: (ctx, p) => reportQueriesReport(ctx, p.limit),
  }),
  endpoint({ path: '/v1/stats/imports', summary: 'CM data imports over time: count, failures, failure rate, records', schema: rangeSchema, run: (ctx) => importsReport(ctx) }),
  endpoint({ path: '/v1/stats/changes', summary: 'Rule and label add, change and remove counts over time', schema: rangeSchema, run: (ctx) => changesReport(ctx) }),
  endpoint({
    path: '/v1/stats/verbatim',
    summary: 'Verbatim texts of props the plan declares verbatim (30 days): outside the anonymous data set',
    schema: limitSchema,
    run: (ctx, p) => verbatimReport(ctx, p.limit),
  }),
  endpoint({
    path: '/v1/stats/explore',
    summary: 'Events and people of one declared event over time, by a dimension or declared prop, filtered, with the previous period',
    schema: exploreSchema,
    run: (ctx, p) => exploreReport(ctx, p),
  }),
  endpoint({
    path: '/v1/stats/funnel',
    summary: 'People of each salt period who did 2 to 5 declared events in order: per step people, conversion and median time from the step before',
    schema: funnelSchema,
    run: (ctx, p) => funnelReport(ctx, p),
  }),
  endpoint({
    path: '/v1/stats/rejections',
    summary: 'Event names the plan rejected and prop keys it dropped (30 days): named once k people of a salt period sent them, with a plan snippet; others counted by shape',
    schema: limitSchema,
    run: (ctx, p) => rejectionsReport(ctx, p.limit),
  }),
  endpoint({ path: '/v1/stats/feedback', summary: 'Feedback rating distribution and themes: the words and phrases k people of a salt period used', schema: rangeSchema, run: (ctx) => feedbackReport(ctx) }),
]
