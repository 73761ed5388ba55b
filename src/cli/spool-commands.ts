// `veil spool`, `veil dead-letter export|refeed` and `veil repair-aggregates [hours]`: what the
// write-ahead spool holds, and the operator's hands on rows ClickHouse refused and on aggregates
// an unclean stop left short (docs/durability.md).
import { join } from 'node:path'
import { spoolDirOf, type Config } from '../config.ts'
import { readDeadLetters } from '../storage/spool/dead-letter-file.ts'
import { repairAggregates } from '../storage/schema/repair-aggregates.ts'
import { insertEventsBody } from '../storage/write-path.ts'
import { JSON_ROWS_FORMAT } from '../storage/rows/rows-format.ts'
import { inspectSpool, refeedDeadLetters } from '../storage/spool/inspect.ts'
import type { Output } from './output.ts'
import { withStorage } from './with-storage.ts'

export const SPOOL_USAGE = `  spool                show the spool: segments, rows waiting, damaged segments, dead letters
  dead-letter export   print the dead-lettered rows, one JSON object per line
  dead-letter refeed   insert the dead-lettered rows again; those stored leave the file
  repair-aggregates [hours]   recompute every aggregate from events for the (app, day) pairs
                       of events received in the last hours (default 24); run it with no
                       server inserting (docs/durability.md)
`

export async function runSpoolCommand(command: string, args: string[], config: Config, out: Output, err: Output): Promise<number> {
  const dir = spoolDirOf(config)
  if (command === 'spool') {
    await out.write(JSON.stringify(inspectSpool(dir), null, 2) + '\n')
    return 0
  }
  if (command === 'repair-aggregates') {
    const hours = Number(args[0] ?? 24)
    if (!(hours > 0)) {
      await err.write('veil repair-aggregates: give the hours as a positive number\n')
      return 2
    }
    return withStorage(config, err, async (s) => {
      const r = await repairAggregates(s.client, Date.now() - hours * 3600_000)
      await out.write(`recomputed ${r.tables.length} aggregate tables for ${r.pairs} (app, day) pairs\n`)
      return 0
    })
  }
  // dead-letter
  if (args[0] === 'export') {
    for (const r of readDeadLetters(dir)) await out.write(JSON.stringify(r) + '\n')
    return 0
  }
  if (args[0] !== 'refeed') {
    await err.write('veil dead-letter: say export or refeed\n')
    return 2
  }
  return withStorage(config, err, async (s) => {
    // The server's write path's insert settings (storage/write-path.ts): dead letters are JSON lines.
    const insert = insertEventsBody(s, config)
    const result = await refeedDeadLetters(dir, (body, token) => insert(body, 1, token, JSON_ROWS_FORMAT))
    await out.write(`stored ${result.stored} rows; ${result.kept} refused again and kept in ${join(dir, 'dead-letter.jsonl')}\n`)
    return result.kept > 0 ? 1 : 0
  })
}
