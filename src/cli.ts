// `npm run veil -- <command>`: operator commands against Veil's storage.
//   sql "<SELECT ...>"   run a read-only query, print JSONEachRow
//   migrate              apply pending migrations
//   plan-types [app]     print an app's tracking plan as TypeScript types for the SDKs
// On the embedded store the data directory must be free: a running server holds it.
import { existsSync } from 'node:fs'
import { loadConfig } from './config.ts'
import { loadAppsFile } from './apps.ts'
import { planOf } from './plan/plans.ts'
import { planTypes } from './plan/plan-types.ts'
import { DataDirBusyError, openStorage } from './storage/client.ts'
import { migrate } from './storage/migrate.ts'

const USAGE = `usage: npm run veil -- <command>
  sql "<SELECT ...>"   run a read-only query and print one JSON object per row
  migrate              apply pending migrations from sql/
  plan-types [app]     print the app's tracking plan as TypeScript (VeilPlanEvents)
`

/** `plan-types`: reads APPS_FILE only, so it runs beside a running server. */
function printPlanTypes(appId: string | undefined, out: (s: string) => void): number {
  const config = loadConfig()
  if (!existsSync(config.APPS_FILE)) {
    out(`veil plan-types: no apps file at ${config.APPS_FILE}\n`)
    return 2
  }
  const { apps } = loadAppsFile(config.APPS_FILE)
  const app = appId === undefined ? (apps.length === 1 ? apps[0] : undefined) : apps.find((a) => a.id === appId)
  if (!app) {
    out(`veil plan-types: name one app: ${apps.map((a) => a.id).join(', ')}\n`)
    return 2
  }
  out(planTypes(app.id, planOf(app).plan))
  return 0
}

export async function runCli(argv: string[], out: (s: string) => void): Promise<number> {
  const [command, ...args] = argv
  if (command === 'plan-types') return printPlanTypes(args[0], out)
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
