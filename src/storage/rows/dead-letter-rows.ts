// Events-table rows (EVENT_COLUMNS order) as the durability code needs them: a dead-lettered row
// as a quarantine row (what an SDK developer may see: the name and prop keys, never an
// identifier, not even hashed; PRIVACY.md 1). A frame's event ids: rows-format.ts eventIdsOf.
import type { QuarantineRow } from '../../ingest/quarantine-shape.ts'

export function deadLetterToQuarantine(rows: unknown[][], reason: string): QuarantineRow[] {
  return rows.map((r) => {
    const props = r[9] && typeof r[9] === 'object' ? Object.keys(r[9]).slice(0, 30) : []
    const receivedAt = typeof r[4] === 'number' ? r[4] : Date.now()
    const text = (v: unknown) => (typeof v === 'string' ? v.toWellFormed().slice(0, 64) : '')
    return [text(r[0]), receivedAt, 0, `storage refused the row: ${reason}`.slice(0, 300), text(r[2]), JSON.stringify({ prop_keys: props.map((k) => k.toWellFormed()) })]
  })
}
