// A dead-lettered events row as a quarantine row: what an SDK developer may see of it, the name
// and prop keys, never an identifier, not even hashed (PRIVACY.md 1). The rows come typed, decoded
// from either spool format (rows-format.ts decodeRow) or straight from direct mode's writer.
import type { EventRow } from '../../pipeline/types.ts'
import type { QuarantineRow } from './quarantine-row.ts'

const MAX_KEYS = 30

export function deadLetterToQuarantine(rows: readonly EventRow[], reason: string): QuarantineRow[] {
  return rows.map(([app_id, , name, , received_at, , , , , props]) => {
    const keys = Object.keys(props ?? {}).slice(0, MAX_KEYS).map((k) => k.toWellFormed())
    return [
      app_id.toWellFormed().slice(0, 64),
      Number.isFinite(received_at) ? received_at : Date.now(),
      0,
      `storage refused the row: ${reason}`.slice(0, 300),
      name.toWellFormed().slice(0, 64),
      JSON.stringify({ prop_keys: keys }),
    ]
  })
}
