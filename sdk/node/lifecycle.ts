// Process hooks of the Node SDK: app_crash on uncaught exceptions and unhandled rejections,
// app_stop on orderly exit. Node's own behaviour is left as it is: the monitor event does not
// catch anything, and a signal is re-raised once Veil has flushed if no one else handles it.

export interface LifecycleHooks {
  /** Must write synchronously: the process may be gone right after. */
  crash(error: unknown, fatal: boolean): void
  /** `exit` allows no asynchronous work: record app_stop on disk for the next start. */
  exitSync(): void
  /** Records app_stop and flushes. */
  shutdown(): Promise<void>
}

export interface LifecycleOptions {
  captureCrashes: boolean
  captureExit: boolean
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** Installs the hooks; returns the function that removes them. */
export function installLifecycle(h: LifecycleHooks, o: LifecycleOptions): () => void {
  const onCrash = (error: unknown) => {
    // 'uncaughtExceptionMonitor' also sees unhandled rejections (Node's default mode turns them
    // into uncaught exceptions). The process dies unless the app handles 'uncaughtException'.
    h.crash(error, process.listenerCount('uncaughtException') === 0)
  }
  const onBeforeExit = () => void h.shutdown()
  const onExit = () => h.exitSync()
  const onSignal = (signal: NodeJS.Signals) => {
    void h.shutdown().finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    })
  }
  if (o.captureCrashes) process.on('uncaughtExceptionMonitor', onCrash)
  if (o.captureExit) {
    process.on('beforeExit', onBeforeExit)
    process.on('exit', onExit)
    for (const s of SIGNALS) process.once(s, onSignal)
  }
  return () => {
    process.off('uncaughtExceptionMonitor', onCrash)
    process.off('beforeExit', onBeforeExit)
    process.off('exit', onExit)
    for (const s of SIGNALS) process.off(s, onSignal)
  }
}
