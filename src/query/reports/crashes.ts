// Crash rate per app version (crashes per app start) and the top crash fingerprints (issue 4).
// Starts and crashes per version are cells of the app-version breakdown, so this report hides
// exactly what the breakdown hides; fingerprints are sub-cells of the app_crash slices.
import { round } from '../db.ts'
import { cellId, colId, loadMatrix, otherOf, show } from '../matrix.ts'
import { hide, metaOf } from '../meta.ts'
import { loadOneWay, totalOf } from '../table.ts'
import { baseParams, type ReportContext, releaseOf, minOrgsOf } from './context.ts'
import { mappedValue, RARE } from '../values.ts'

const rate = (crashes: number | null, starts: number | null) => (crashes !== null && starts ? round(crashes / starts) : null)

export async function crashesReport(ctx: ReportContext, limit: number) {
  const k = ctx.app.k_anonymity
  const [m, fp] = await Promise.all([loadMatrix(ctx.client, { app: ctx.app.id, k, minOrgs: minOrgsOf(ctx), range: ctx.range, by: 'app_version', names: ['app_start', 'app_crash'] }, releaseOf(ctx)), fingerprints(ctx, limit)])
  const starts = show(m, colId('app_start'))
  const crashes = show(m, colId('app_crash'))
  const versions = m.rows
    .map((version) => {
      const s = show(m, cellId(version, 'app_start'))
      const c = show(m, cellId(version, 'app_crash'))
      return { version, starts: s.events, start_users: s.users, crashes: c.events, crash_users: c.users, crash_rate: rate(c.events, s.events), starts_suppressed: s.suppressed, crashes_suppressed: c.suppressed }
    })
    // A version is listed only for a figure of it that is shown.
    .filter((v) => (!v.starts_suppressed && (v.starts ?? 0) > 0) || (!v.crashes_suppressed && (v.crashes ?? 0) > 0))
    .sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: { starts: starts.events, crashes: crashes.events, crash_rate: rate(crashes.events, starts.events), suppressed: starts.suppressed || crashes.suppressed },
    versions,
    other: { starts: otherOf(m, colId('app_start')), crashes: otherOf(m, colId('app_crash')) },
    fingerprints: fp,
  }
}

async function fingerprints(ctx: ReportContext, limit: number) {
  // The key joins fingerprint and error type with char(31), which neither holds (a tuple key
  // would not survive the atoms' text rows); it orders as the tuple did for the tie-break.
  const t = await loadOneWay(
    ctx.client,
    {
      minOrgs: minOrgsOf(ctx), name: 'app_crash', table: 'agg_crashes_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [],
      key: `concat(${mappedValue('fingerprint')}, char(31), ${mappedValue('toString(error_type)')})`, e: 'sum(crashes)', fold: ['sum(fatal) AS f'], counts: ['f'], sparse: true,
    },
    releaseOf(ctx),
    baseParams(ctx),
  )
  const all = [...t.cells].map(([key, c]) => {
    const [fingerprint = '', errorType = ''] = key.split('\u001f')
    return { fingerprint, error_type: errorType, ...hide(false, { users: c.users, crashes: c.events, fatal: c.counts.f ?? 0 }) }
  })
  // A fingerprint or error type fewer than k people sent is no row: only its count (values.ts).
  const isRare = (c: { fingerprint: string; error_type: string }) => c.fingerprint === RARE || c.error_type === RARE
  const rareCrashes = all.filter(isRare).reduce((n, c) => n + (c.crashes ?? 0), 0)
  const top = all
    .filter((c) => !isRare(c))
    .sort((a, b) => (b.crashes ?? 0) - (a.crashes ?? 0) || a.fingerprint.localeCompare(b.fingerprint))
    .slice(0, limit)
  return { total: totalOf(t, (r) => ({ crashes: r.events })), rows: top, other: t.other, rare: rareCrashes > 0 ? { events: rareCrashes } : null }
}
