// The spool behind the writer interface the batch route uses (writer.ts): write() resolves when
// the rows are synced to the spool, so a 202 keeps meaning durable (DESIGN.md durability rule).
import { encodeRows } from './rows-format.ts'
import type { Spool } from './spool.ts'
import type { Writer } from './writer.ts'

export function createSpoolWriter<Row extends unknown[]>(spool: Spool, closeWithinMs: number): Writer<Row> {
  return {
    write: (rows) => (rows.length === 0 ? Promise.resolve() : spool.append(encodeRows(rows), rows.length)),
    // Synced is stored, as far as a client is concerned: the spool re-feeds it until it is in.
    submit(rows) {
      const stored = rows.length === 0 ? Promise.resolve() : spool.append(encodeRows(rows), rows.length)
      return { acked: stored.then(() => []), stored }
    },
    flush: () => spool.drain(),
    shutdown: () => spool.close(closeWithinMs),
    stats() {
      const s = spool.stats()
      return { inserts: s.inserts, rowsWritten: s.insertedRows, failedInserts: s.failedInserts, refusedRows: s.refusedRows + s.diskRefusedRows, pendingRows: s.pendingRows, retries: s.failedInserts, deadLetteredRows: s.deadLetteredRows }
    },
  }
}
