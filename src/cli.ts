// `npm run veil -- <command>`: operator commands against Veil's storage.
//   sql "<SELECT ...>"   run a read-only query, print JSONEachRow
//   migrate              apply pending migrations
// On the embedded store the data directory must be free: a running server holds it.
import { loadConfig } from './config.ts'
import { DataDirBusyError, openStorage } from './storage/client.ts'
import { migrate } from './storage/migrate.ts'

const USAGE = `usage: npm run veil -- <command>
  sql "<SELECT ...>"   run a read-only query and print one JSON object per row
  migrate              apply pending migrations from sql/
`

export async function runCli(argv: string[], out: (s: string) => void): Promise<number> {
  const [command, ...args] = argv
  if (command !== 'sql' && command !== 'migrate') {
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
