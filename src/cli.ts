// `veil <command>` (`npm run veil -- <command>` in a checkout): operator commands against Veil's
// storage, apps file and tracking plans.
// On the embedded store the data directory must be free: a running server holds it. Output
// waits for the reader (pipes) and the process exits only once it is all out (cli/output.ts).
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig } from './config.ts'
import { loadAppsFile } from './apps/apps.ts'
import { planOf } from './plan/plans.ts'
import { planTypes } from './plan/plan-types.ts'
import { migrate, migrationPlan } from './storage/schema/migrate.ts'
import { runApps } from './cli/apps-command.ts'
import { AppsFileError, writeFileAtomic } from './cli/apps-file.ts'
import { runPlan } from './cli/plan-command.ts'
import { jsonSchemaFiles } from './cli/json-schemas.ts'
import { createOutput, exitWhenFlushed, ReaderGoneError, type Output } from './cli/output.ts'
import { runSql } from './cli/sql-command.ts'
import { runSpoolCommand, SPOOL_USAGE } from './cli/spool-commands.ts'
import { withStorage } from './cli/with-storage.ts'
import { keyStorePlan } from './privacy/salt-vault.ts'
import { runVerbatim, VERBATIM_USAGE } from './cli/verbatim-command.ts'
import { RELAY_USAGE, runImport, runRelayCommand } from './cli/relay-command.ts'

const usage = (cli: string) => `usage: ${cli} <command>
  sql "<SELECT ...>"   run a read-only query and print one JSON object per row
  migrate              apply pending migrations from sql/
  migrate --dry-run    print every statement a migration run would execute (with
                       CLICKHOUSE_CLUSTER set, the cluster form), the key store and
                       the grants that keep salts from every role but ingestion,
                       without connecting
  apps ...             apps and keys in APPS_FILE (${cli} apps help)
  plan ...             an app's tracking plan: show, add-event, add-prop, remove (${cli} plan help)
  schemas [dir]        write the JSON Schemas of the apps and plan files to dir (default
                       schemas/), for editors ("$schema" in the files)
  plan-types [app] [--out FILE]
                       the app's tracking plan as TypeScript (VeilPlanEvents), printed or
                       written to FILE
${VERBATIM_USAGE}
${SPOOL_USAGE}
${RELAY_USAGE}
`

/** `plan-types`: reads APPS_FILE only, so it runs beside a running server. */
async function printPlanTypes(args: string[], out: Output, err: Output): Promise<number> {
  const config = loadConfig(undefined, { offline: true })
  const at = args.indexOf('--out')
  const file = at >= 0 ? args.splice(at, 2)[1] : undefined
  if (at >= 0 && !file) {
    await err.write('veil plan-types: --out needs a file name\n')
    return 2
  }
  const appId = args[0]
  if (!existsSync(config.APPS_FILE)) {
    await err.write(`veil plan-types: no apps file at ${config.APPS_FILE}\n`)
    return 2
  }
  const { apps } = loadAppsFile(config.APPS_FILE)
  const app = appId === undefined ? (apps.length === 1 ? apps[0] : undefined) : apps.find((a) => a.id === appId)
  if (!app) {
    await err.write(`veil plan-types: name one app: ${apps.map((a) => a.id).join(', ')}\n`)
    return 2
  }
  const text = planTypes(app.id, planOf(app).plan)
  if (file === undefined) await out.write(text)
  else {
    // Written by the CLI itself: `npm run veil -- plan-types > file` would put npm's banner in it.
    writeFileAtomic(resolve(file), text, 0o644)
    await err.write(`wrote the plan of app "${app.id}" to ${file}\n`)
  }
  return 0
}

/** The command line named in messages: VEIL_CLI, or the checkout's form if the environment does not parse. */
function cliName(): string {
  try {
    return loadConfig(undefined, { offline: true }).VEIL_CLI
  } catch {
    return 'npm run veil --'
  }
}

export async function runCli(argv: string[], out: Output, err: Output = out): Promise<number> {
  const [command, ...args] = argv
  if (command === 'relay') return runRelayCommand(loadConfig(), args, out, err)
  if (command === 'import') return runImport(loadConfig(undefined, { offline: true }), args, out, err)
  if (command === 'plan-types') return printPlanTypes(args, out, err)
  if (command === 'schemas') {
    mkdirSync(resolve(args[0] ?? 'schemas'), { recursive: true })
    for (const [name, text] of jsonSchemaFiles()) {
      const path = resolve(args[0] ?? 'schemas', name)
      writeFileAtomic(path, text, 0o644)
      await out.write(`wrote ${path}\n`)
    }
    return 0
  }
  if (command === 'plan') {
    try {
      return await runPlan(loadConfig(undefined, { offline: true }).APPS_FILE, args, out, cliName())
    } catch (e) {
      if (!(e instanceof AppsFileError)) throw e
      await err.write(`veil plan: ${e.message}\n`)
      return 2
    }
  }
  if (command === 'spool' || command === 'dead-letter' || command === 'repair-aggregates') {
    try {
      return await runSpoolCommand(command, args, loadConfig(), out, err)
    } catch (e) {
      if (e instanceof ReaderGoneError) return 0
      await err.write(`veil: ${(e as Error).message.split('\n')[0]}\n`)
      return 1
    }
  }
  if (command !== 'sql' && command !== 'migrate' && command !== 'apps' && command !== 'verbatim') {
    await out.write(usage(cliName()))
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
  if (command === 'sql' && !args[0]) {
    await err.write(`veil sql: give the query as one argument, e.g. ${cliName()} sql "SELECT count() FROM events"\n`)
    return 2
  }
  const dryRun = command === 'migrate' && args.includes('--dry-run')
  const config = loadConfig(undefined, { offline: dryRun })
  if (command === 'apps') {
    try {
      return await runApps(config.APPS_FILE, args, out, config.VEIL_CLI)
    } catch (e) {
      if (!(e instanceof AppsFileError)) throw e
      await err.write(`veil apps: ${e.message}\n`)
      return 2
    }
  }
  if (dryRun) {
    await out.write(migrationPlan({ retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER }))
    await out.write(keyStorePlan({ database: config.CLICKHOUSE_DATABASE, keysDatabase: config.CLICKHOUSE_KEYS_DATABASE, cluster: config.CLICKHOUSE_CLUSTER }))
    return 0
  }
  return withStorage(config, err, async (storage) => {
    try {
      if (command === 'migrate') {
        const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER })
        await out.write(applied.length ? `applied migrations ${applied.join(', ')}\n` : 'nothing to apply\n')
        return 0
      }
      if (command === 'verbatim') return await runVerbatim(storage.client, args, out, err)
      await runSql(storage.client, args.join(' '), out)
      return 0
    } catch (e) {
      if (e instanceof ReaderGoneError) return 0
      await err.write(`veil: ${(e as Error).message.split('\n')[0]}\n`)
      return 1
    }
  })
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)
if (isMain) {
  const err = createOutput(process.stderr)
  runCli(process.argv.slice(2), createOutput(process.stdout), err).then(exitWhenFlushed, (e: unknown) => {
    err.write(`veil: ${(e as Error).message.split('\n')[0]}\n`).finally(() => exitWhenFlushed(1))
  })
}
