// Storage that knows whether a call into ClickHouse is still running. Closing the embedded engine
// under a running insert crashed the process (SIGSEGV, or "mutex lock failed" from chDB; issue 24
// item 5): a stop asks idle() first, and leaves storage open when the budget runs out before.
import type { ClickHouseClient } from '@clickhouse/client'
import type { RawInsert, Storage } from './client.ts'

export interface TrackedStorage extends Storage {
  /** Resolves true once no call is running, or false when `ms` pass first. */
  idle(ms: number): Promise<boolean>
  /** Calls running now. */
  running(): number
  /** Counts work that reaches the engine by another way (the stored-ids filter's load). */
  track<T>(p: Promise<T>): Promise<T>
}

/** The client's calls that reach the engine; each is counted until it settles. */
const CALLS = new Set<string | symbol>(['query', 'insert', 'command', 'exec'])

export function trackInFlight(storage: Storage): TrackedStorage {
  let running = 0
  let waiters: (() => void)[] = []
  const track = <T>(p: Promise<T>): Promise<T> => {
    running++
    return p.finally(() => {
      if (--running === 0) for (const w of waiters.splice(0)) w()
    })
  }
  const client = new Proxy(storage.client, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (!CALLS.has(key) || typeof value !== 'function') return value
      return (...args: unknown[]) => track(Promise.resolve((value as (...a: unknown[]) => Promise<unknown>).apply(target, args)))
    },
  }) as ClickHouseClient
  return {
    ...storage,
    client,
    insertRaw: (r: RawInsert) => track(storage.insertRaw(r)),
    running: () => running,
    track,
    idle(ms) {
      if (running === 0) return Promise.resolve(true)
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done)
          resolve(false)
        }, ms)
        t.unref()
        const done = () => {
          clearTimeout(t)
          resolve(true)
        }
        waiters.push(done)
      })
    },
  }
}
