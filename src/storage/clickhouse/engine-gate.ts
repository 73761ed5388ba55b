// The embedded engine runs the calls of its one connection one after the other (four heavy
// queries started together end about 110 ms apart), and each call waits for its turn inside the
// engine on a thread of Node's pool: 4 threads unless UV_THREADPOOL_SIZE says more. A dashboard's
// few queries beside a feed's insert held every thread, and the spool's writes and syncs, which
// use the same pool, waited behind them: every acknowledgement stalled for as long as the
// queries took. Past `slots` calls, a call waits here and holds no thread. Inserts (the spool's
// feeds, the direct write path) go ahead of waiting reads, so a dashboard does not hold back
// what reports will show; reads keep their order among themselves.

/** Calls let into the engine at once: one running and one ready behind it. */
export const ENGINE_SLOTS = 2

export type Gate = <T>(fn: () => Promise<T>, first?: boolean) => Promise<T>

/**
 * Runs `fn` once one of `slots` is free. Calls beyond them wait their turn, first come first
 * served, except that a call marked `first` goes ahead of every waiting call not so marked.
 */
export function createGate(slots: number): Gate {
  let free = slots
  const ahead: (() => void)[] = []
  const behind: (() => void)[] = []
  const release = () => {
    const next = ahead.shift() ?? behind.shift()
    if (next) next()
    else free++
  }
  return async (fn, first = false) => {
    if (free > 0) free--
    else await new Promise<void>((resolve) => (first ? ahead : behind).push(resolve))
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

/** The chdb connection's calls that reach the engine (@clickhouse/client's Connection, and chdb's raw insert). */
const CALLS = new Set<string | symbol>(['query', 'exec', 'command', 'insert', 'ping', 'rawInsert'])
const INSERT = /^\s*INSERT\b/i

/** A call that writes rows: chdb's raw insert, the client's insert, or a statement that is an INSERT. */
function isInsert(key: string | symbol, args: unknown[]): boolean {
  if (key === 'insert' || key === 'rawInsert') return true
  const query = (args[0] as { query?: unknown } | undefined)?.query
  return typeof query === 'string' && INSERT.test(query)
}

/** The connection with every call that reaches the engine passed through one gate, inserts first. */
export function gateConnection<C extends object>(connection: C, slots = ENGINE_SLOTS): C {
  const gate = createGate(slots)
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      // Read from and called on the object itself: the connection keeps its state in private
      // fields, which a getter or method run on the proxy cannot reach.
      get(t, key) {
        const value: unknown = Reflect.get(t, key, t)
        if (key === 'chdb' && value && typeof value === 'object') return wrap(value)
        if (typeof value !== 'function') return value
        const fn = value as (...a: unknown[]) => unknown
        if (!CALLS.has(key)) return fn.bind(t)
        return (...args: unknown[]) => gate(() => Promise.resolve(fn.apply(t, args)), isInsert(key, args))
      },
    })
  return wrap(connection)
}
