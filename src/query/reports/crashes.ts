// Crash rate per app version (crashes per app start) and the top crash fingerprints (issue 4).
// Starts and crashes per version are cells of the app-version breakdown, so this report hides
// exactly what the breakdown hides; fingerprints are sub-cells of the app_crash slices.
import { num, round, select, str } from '../db.ts'
import { cellId, colId, otherOf, show } from '../matrix.ts'
import { loadTable } from '../atom-matrix.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'
import { mappedValue, RARE } from '../values.ts'
import { loadReleasedOneWay } from '../atom-table.ts'

const rate = (crashes: number | null, starts: number | null) => (crashes !== null && starts ? round(crashes / starts) : null)

export async function crashesReport(ctx: ReportContext, limit: number) {
  const [m, fp] = await Promise.all([loadTable(ctx, { by: 'app_version', names: ['app_start', 'app_crash'] }), fingerprints(ctx, limit)])
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
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: { starts: starts.events, crashes: crashes.events, crash_rate: rate(crashes.events, starts.events), suppressed: starts.suppressed || crashes.suppressed },
    versions,
    other: { starts: otherOf(m, colId('app_start')), crashes: otherOf(m, colId('app_crash')) },
    fingerprints: fp,
  }
}

async function fingerprints(ctx: ReportContext, limit: number) {
  if (ctx.noiseKey) return releasedFingerprints(ctx, limit)
  const rows = await select(
    ctx.client,
    oneWaySql(
      { table: 'agg_crashes_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: `tuple(${mappedValue('fingerprint')}, ${mappedValue('toString(error_type)')})`, e: 'sum(crashes)', fold: ['sum(fatal) AS f'], sparse: true },
      ctx.app.k_anonymity,
      minOrgsOf(ctx),
      (cond, sfx) => [`sumIf(e, ${cond}) AS crashes${sfx}`, `sumIf(f, ${cond}) AS fatal${sfx}`],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const t = oneWayCells(rows, (r) => {
    const [fingerprint, errorType] = Array.isArray(r.key) ? r.key.map(str) : ['', '']
    return [`${fingerprint}\u001f${errorType}`, { fingerprint: fingerprint!, error_type: errorType!, users: num(r.users), crashes: num(r.crashes), fatal: num(r.fatal) }]
  })
  // A fingerprint or error type fewer than k people sent is no row: only its count (values.ts).
  const isRare = (c: { fingerprint: string; error_type: string }) => c.fingerprint === RARE || c.error_type === RARE
  const rareCrashes = [...t.cells.values()].filter(isRare).reduce((n, c) => n + c.crashes, 0)
  const top = [...t.cells.values()]
    .filter((c) => !isRare(c))
    .map((c) => ({ fingerprint: c.fingerprint, error_type: c.error_type, ...hide(false, { users: c.users, crashes: c.crashes, fatal: c.fatal }) }))
    .sort((a, b) => (b.crashes ?? 0) - (a.crashes ?? 0) || a.fingerprint.localeCompare(b.fingerprint))
    .slice(0, limit)
  return { total: totalOf(t, (r) => ({ crashes: num(r.crashes) })), rows: top, other: t.other, rare: rareCrashes > 0 ? { events: rareCrashes } : null }
}

/** The same from released atoms (atom-table.ts): crashes and fatal ones per (fingerprint, error type). */
async function releasedFingerprints(ctx: ReportContext, limit: number) {
  // The fingerprint and error type as one key, apart by the unit separator (0x1f, never in a stored value).
  const part = (c: string, i: number) => mappedValue(`splitByChar('\\x1f', ${c})[${i}]`)
  const display = (c: string) => `concat(${part(c, 1)}, '\\x1f', ${part(c, 2)})`
  const t = await loadReleasedOneWay(ctx, { name: 'app_crash', space: 'fingerprint', key: "concat(props['fingerprint'], '\\x1f', props['error_type'])", display, counts: { fatal: "props['fatal'] = 'true'" } })
  const cells = [...t.rows].map(([id, f]) => {
    const [fingerprint = '', errorType = ''] = id.split('\u001f')
    return { fingerprint, error_type: errorType, users: f.people, crashes: f.events, fatal: Math.min(f.counts.fatal ?? 0, f.events) }
  })
  const isRare = (c: { fingerprint: string; error_type: string }) => c.fingerprint === RARE || c.error_type === RARE
  const rareCrashes = cells.filter(isRare).reduce((n, c) => n + c.crashes, 0)
  const top = cells
    .filter((c) => !isRare(c))
    .map((c) => ({ fingerprint: c.fingerprint, error_type: c.error_type, ...hide(false, { users: c.users, crashes: c.crashes, fatal: c.fatal }) }))
    .sort((a, b) => (b.crashes ?? 0) - (a.crashes ?? 0) || a.fingerprint.localeCompare(b.fingerprint))
    .slice(0, limit)
  return { total: hide(t.suppressed, { crashes: t.total.events }), rows: top, other: t.other, rare: rareCrashes > 0 ? { events: rareCrashes } : null }
}
