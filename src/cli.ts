// `npm run veil -- <command>`: operator commands against Veil's storage.
//   sql "<SELECT ...>"   run a read-only query, print JSONEachRow
//   migrate              apply pending migrations
//   spool                what the write-ahead spool holds (docs/durability.md)
//   dead-letter export | refeed   rows ClickHouse refused: print them, or insert them again
//   repair-aggregates [hours]     recompute the aggregates from events for recent days
// On the embedded store the data directory must be free: a running server holds it.
import { loadConfig } from './config.ts'
import { DataDirBusyError, openStorage } from './storage/client.ts'
import { migrate } from './storage/migrate.ts'
import { inspectSpool, refeedDeadLetters } from './storage/spool-inspect.ts'
import { readDeadLetters } from './storage/dead-letter.ts'
import { repairAggregates } from './storage/repair-aggregates.ts'
import { EVENT_COLUMNS } from './pipeline/types.ts'
import { ROWS_FORMAT } from './storage/rows-format.ts'
import { join } from 'node:path'

const USAGE = `usage: npm run veil -- <command>
  sql "<SELECT ...>"   run a read-only query and print one JSON object per row
  migrate              apply pending migrations from sql/
  spool                show the spool: segments, rows waiting, damaged segments, dead letters
  dead-letter export   print the dead-lettered rows, one JSON object per line
  dead-letter refeed   insert the dead-lettered rows again; those stored leave the file
  repair-aggregates [hours]   recompute every aggregate from events for the (app, day) pairs
                       of events received in the last hours (default 24); run it with no
                       server inserting (docs/durability.md)
`

export async function runCli(argv: string[], out: (s: string) => void): Promise<number> {
  const [command, ...args] = argv
  if (command === 'spool' || command === 'dead-letter') return spoolCommand(command, args[0], out)
  if (command !== 'sql' && command !== 'migrate' && command !== 'repair-aggregates') {
    out(USAGE)
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
  if (command === 'sql' && !args[0]) {
    out('veil sql: give the query as one argument, e.g. npm run veil -- sql "SELECT count() FROM events"\n')
    return 2
  }
  const config = loadConfig()
  let storage
  try {
    storage = await openStorage(config)
  } catch (e) {
    if (e instanceof DataDirBusyError) {
      out(`veil: ${e.message}\n`)
      return 3
    }
    throw e
  }
  try {
    if (command === 'migrate') {
      const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER })
      out(applied.length ? `applied migrations ${applied.join(', ')}\n` : 'nothing to apply\n')
      return 0
    }
    if (command === 'repair-aggregates') {
      const hours = Number(args[0] ?? 24)
      if (!(hours > 0)) {
        out('veil repair-aggregates: give the hours as a positive number\n')
        return 2
      }
      const r = await repairAggregates(storage.client, Date.now() - hours * 3600_000)
      out(`recomputed ${r.tables.length} aggregate tables for ${r.pairs} (app, day) pairs\n`)
      return 0
    }
    const rs = await storage.client.query({
      query: args.join(' '),
      format: 'JSONEachRow',
      // Read-only on both engines: an INSERT, ALTER or DROP is refused by ClickHouse itself.
      clickhouse_settings: { readonly: '1' },
    })
    out(await rs.text())
    return 0
  } catch (e) {
    out(`veil: ${(e as Error).message.split('\n')[0]}\n`)
    return 1
  } finally {
    await storage.close()
  }
}

async function spoolCommand(command: 'spool' | 'dead-letter', sub: string | undefined, out: (s: string) => void): Promise<number> {
  const config = loadConfig()
  const dir = config.SPOOL_DIR ?? join(config.DATA_DIR, 'veil-spool')
  try {
    if (command === 'spool') {
      out(JSON.stringify(inspectSpool(dir), null, 2) + '\n')
      return 0
    }
    if (sub === 'export') {
      for (const r of readDeadLetters(dir)) out(JSON.stringify(r) + '\n')
      return 0
    }
    if (sub !== 'refeed') {
      out('veil dead-letter: say export or refeed\n')
      return 2
    }
  } catch (e) {
    out(`veil: ${(e as Error).message}\n`)
    return 1
  }
  let storage
  try {
    storage = await openStorage(config)
  } catch (e) {
    if (e instanceof DataDirBusyError) {
      out(`veil: ${e.message}\n`)
      return 3
    }
    throw e
  }
  try {
    const s = storage
    const result = await refeedDeadLetters(dir, (body, token) =>
      s.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: ROWS_FORMAT, body, settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 } }),
    )
    out(`stored ${result.stored} rows; ${result.kept} refused again and kept in ${join(dir, 'dead-letter.jsonl')}\n`)
    return result.kept > 0 ? 1 : 0
  } finally {
    await storage.close()
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)
if (isMain) {
  runCli(process.argv.slice(2), (s) => process.stdout.write(s)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`veil: ${(e as Error).message}\n`)
      process.exit(1)
    },
  )
}
