// `npm start`: one Veil node. Configuration from the environment (README), embedded ClickHouse
// under DATA_DIR unless CLICKHOUSE_URL is set; SIGTERM/SIGINT stop it cleanly with exit code 0.
import { loadConfig } from './config.ts'
import { startVeil } from './server.ts'

async function main(): Promise<void> {
  const config = loadConfig()
  const veil = await startVeil(config)
  const where = veil.storage.kind === 'embedded' ? `embedded ClickHouse in ${config.DATA_DIR}` : 'ClickHouse server'
  veil.logger.info({ port: veil.port, storage: veil.storage.kind }, `Veil listening on http://localhost:${veil.port} (${where})`)
  if (veil.createdDemoKey) {
    // Printed once, to the operator's terminal; it is also in APPS_FILE.
    process.stdout.write(
      `\nCreated ${config.APPS_FILE} with a demo app.\n  write key: ${veil.createdDemoKey}\n  read key:  ${veil.apps.apps[0]!.read_keys[0]}\n\n`,
    )
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
        veil.logger.error({ err: (e as Error).message }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

main().catch((e: unknown) => {
  const err = e as Error & { cause?: Error }
  process.stderr.write(`veil: ${err.message}${err.cause?.message ? ` (${err.cause.message.split('\n')[0]})` : ''}\n`)
  process.exit(1)
})
