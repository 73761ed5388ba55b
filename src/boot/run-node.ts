// A node as a process: start it, say where it listens (and the demo keys of a first start), and
// stop it on a signal. SIGTERM/SIGINT stop it with exit code 0, also when the stop budget ran out
// with an insert still running in the engine (storage is left open, not closed under it, and the
// process exits once that call returns: stop.ts, exitWhenIdle); SIGHUP reloads APPS_FILE and the
// plan files (terminal-hangup.ts tells an operator's kill -HUP from a closed terminal, which stops
// it). A stop that hangs past SHUTDOWN_TIMEOUT_MS + 5 s exits 1. Used by main.ts; the fault
// suite runs it with its own start options (test/faults/).
import type { Config } from '../config.ts'
import { errorFields } from '../observability/log-error.ts'
import { terminalHungUp } from './terminal-hangup.ts'
import { startVeil, type StartOptions, type Veil } from './start-veil.ts'

export async function runNode(config: Config, opts: StartOptions = {}): Promise<Veil> {
  const veil = await startVeil(config, opts)
  const where = veil.storage.kind === 'embedded' ? `embedded ClickHouse in ${config.DATA_DIR}` : 'ClickHouse server'
  veil.logger.info({ port: veil.port, storage: veil.storage.kind }, `Veil listening on http://localhost:${veil.port} (${where})`)
  if (veil.createdDemoKey) announceDemoKeys(veil)
  let signalled = false
  const onSignal = (signal: string) => {
    if (signalled) return
    signalled = true
    veil.logger.info({ signal, budgetMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping: no new requests, flushing')
    // The stop is bounded by its own budget; this is the backstop if something in it hangs.
    const giveUpAt = Date.now() + config.SHUTDOWN_TIMEOUT_MS + 5000
    setTimeout(() => {
      veil.logger.error('stop did not finish within SHUTDOWN_TIMEOUT_MS + 5 s; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS + 5000)
    veil.stop().then(
      () => exitWhenIdle(veil, giveUpAt),
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
  return veil
}

function announceDemoKeys(veil: Veil): void {
  const { config } = veil
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

/**
 * Exits 0 once no call runs in the engine. When the stop's budget ran out first (stop.ts left
 * storage open), the call still inside chDB cannot be interrupted (no interrupt in its C ABI:
 * node_modules/chdb/index.js), and exiting under it crashed: chdb's exit hook and the engine's
 * teardown ran beside the running insert (SIGSEGV in 3 of 18 stops of
 * test/faults/stop-overrun.test.ts). So the process waits for that one call, and no more, until
 * the backstop (`giveUpAt`) exits 1.
 */
async function exitWhenIdle(veil: Veil, giveUpAt: number): Promise<void> {
  if (veil.storage.running() > 0 && !(await veil.storage.idle(Math.max(0, giveUpAt - Date.now() - 100)))) return
  process.exit(0)
}
