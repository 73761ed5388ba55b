// `npm start`: one Veil node. Configuration from the environment (README), embedded ClickHouse
// under DATA_DIR unless CLICKHOUSE_URL is set; SIGTERM/SIGINT stop it cleanly with exit code 0,
// SIGHUP reloads APPS_FILE and the plan files (terminal-hangup.ts tells an operator's kill -HUP
// from a closed terminal, which stops it). Everything it logs is one JSON line per entry.
import { loadConfig, type Config } from './config.ts'
import { terminalHungUp } from './terminal-hangup.ts'
import { createLogger } from './observability/logger.ts'
import { startVeil } from './boot/start-veil.ts'
import { errorFields } from './observability/log-error.ts'

async function main(config: Config): Promise<void> {
  const veil = await startVeil(config)
  const where = veil.storage.kind === 'embedded' ? `embedded ClickHouse in ${config.DATA_DIR}` : 'ClickHouse server'
  veil.logger.info({ port: veil.port, storage: veil.storage.kind }, `Veil listening on http://localhost:${veil.port} (${where})`)
  if (veil.createdDemoKey) {
    if (process.stdout.isTTY) {
      // Printed once, to the operator's terminal, never into a log stream that is shipped
      // elsewhere. The write key is also in APPS_FILE; only the read key's hash is stored.
      process.stdout.write(
        `\nCreated ${config.APPS_FILE} with a demo app.\n  write key: ${veil.createdDemoKey}\n  read key:  ${veil.createdDemoReadKey}\n\n`,
      )
    } else {
      veil.logger.info(
        { apps_file: config.APPS_FILE, app: 'demo' },
        `created the apps file with a demo app: its write key is in the file (${config.VEIL_CLI} apps list); make a read key with ${config.VEIL_CLI} apps rotate-key demo --read`,
      )
    }
  }
  let signalled = false
  const onSignal = (signal: string) => {
    if (signalled) return
    signalled = true
    veil.logger.info({ signal, budgetMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping: no new requests, flushing')
    // The stop is bounded by its own budget; this is the backstop if something in it hangs.
    setTimeout(() => {
      veil.logger.error('stop did not finish within SHUTDOWN_TIMEOUT_MS + 5 s; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS + 5000)
    veil.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        veil.logger.error({ error: errorFields(e) }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('SIGHUP', () => {
    // `kill -HUP` reloads, whether the server was started from a terminal or not (issue 28).
    if (!process.stdout.isTTY || !terminalHungUp()) {
      veil.reloadApps()
      return
    }
    // The terminal closed: stop as the shell expects. Nothing can be written to it any more
    // (writes fail with EIO, which pino's destination retries forever), so quietly.
    veil.logger.level = 'silent'
    onSignal('SIGHUP')
  })
}

let config: Config | undefined
try {
  config = loadConfig()
} catch (e) {
  createLogger('info').fatal({ error: errorFields(e) }, 'cannot start: invalid configuration')
  process.exitCode = 1
}
if (config) {
  const logger = createLogger(config.LOG_LEVEL)
  main(config).catch((e: unknown) => {
    logger.fatal({ error: errorFields(e) }, `cannot start: ${errorFields(e).message}`)
    // pino writes stdout synchronously by default; exit once the line is out.
    process.exitCode = 1
    setImmediate(() => process.exit(1))
  })
}
