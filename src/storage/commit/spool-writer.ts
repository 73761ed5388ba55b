// The spool behind the writer interface the batch route uses (writer.ts): write() resolves when
// the rows are synced to the spool, so a 202 keeps meaning durable (DESIGN.md durability rule).
// Each request's rows are encoded once, here, in the format the engine is fed (rows-format.ts).
import type { EventRow } from '../../pipeline/types.ts'
import { encodeEventRows } from '../rows/rows-format.ts'
import type { Spool } from '../spool/types.ts'
import type { Writer } from './writer.ts'

export function createSpoolWriter(spool: Spool, closeWithinMs: number): Writer<EventRow> {
  const append = (rows: EventRow[]) => {
    if (rows.length === 0) return Promise.resolve()
    const { payload, format } = encodeEventRows(rows)
    return spool.append(payload, rows.length, format)
  }
  return {
    write: append,
    // Synced is stored, as far as a client is concerned: the spool re-feeds it until it is in.
    submit(rows) {
      const stored = append(rows)
      return { acked: stored.then(() => []), stored }
    },
    flush: () => spool.drain(),
    shutdown: () => spool.close(closeWithinMs),
    stats() {
      const s = spool.stats()
      return { inserts: s.inserts, rowsWritten: s.insertedRows, failedInserts: s.failedInserts, refusedRows: s.refusedRows + s.diskRefusedRows, pendingRows: s.pendingRows, retries: s.retries, deadLetteredRows: s.deadLetteredRows }
    },
  }
}
