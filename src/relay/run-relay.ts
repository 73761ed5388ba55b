// `veil relay` as a process: start the relay, stop it on SIGTERM/SIGINT within
// SHUTDOWN_TIMEOUT_MS (what was not forwarded stays in the spool for the next start), exit 1
// if the stop hangs past its budget and 5 s.
import type { Config } from '../config.ts'
import { errorFields } from '../observability/log-error.ts'
import { startRelay, type Relay, type RelayStartOptions } from './start-relay.ts'

export async function runRelay(config: Config, opts: RelayStartOptions = {}): Promise<Relay> {
  const relay = await startRelay(config, opts)
  relay.logger.info({ port: relay.port }, `Veil relay listening on http://localhost:${relay.port} (outbox: /outbox)`)
  let signalled = false
  const onSignal = (signal: string) => {
    if (signalled) return
    signalled = true
    relay.logger.info({ signal }, 'relay stopping')
    setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS + 5000).unref()
    relay.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        relay.logger.error({ error: errorFields(e) }, 'relay stop failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return relay
}
