// The ClickHouse client's own log lines (connection trouble, retries) as Veil's JSON log lines,
// one each: its default logger prints multi-line text with stack traces to the console, which
// breaks a JSON log pipeline.
import type { Logger as ClientLogger, LogParams } from '@clickhouse/client'
import type { Config } from '../../config.ts'
import { createLogger, type Logger } from '../../observability/logger.ts'
import { errorFields } from '../../observability/log-error.ts'

const fields = (p: LogParams & { err?: Error }) => ({
  module: p.module,
  ...(p.err ? { error: errorFields(p.err) } : {}),
})

/** A logger class for @clickhouse/client's `log.LoggerClass` (it takes no arguments). */
export function jsonClientLogger(level: Config['LOG_LEVEL'] = 'warn'): new () => ClientLogger {
  const log = createLogger(level).child({ component: 'clickhouse-client' })
  return class JsonClientLogger extends ClientLogLines {
    constructor() {
      super(log)
    }
  }
}

class ClientLogLines implements ClientLogger {
  private readonly log: Logger
  constructor(log: Logger) {
    this.log = log
  }
  trace(p: LogParams): void {
    this.log.trace(fields(p), p.message)
  }
  debug(p: LogParams): void {
    this.log.debug(fields(p), p.message)
  }
  info(p: LogParams): void {
    this.log.info(fields(p), p.message)
  }
  warn(p: LogParams & { err?: Error }): void {
    this.log.warn(fields(p), p.message)
  }
  error(p: LogParams & { err: Error }): void {
    // Every error the client reports is also thrown to the Veil code that made the request,
    // which logs it once with its context; here it would be a second line for one failure.
    this.log.debug(fields(p), p.message)
  }
}
