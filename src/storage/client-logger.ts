// The ClickHouse client's own log lines (connection trouble, retries) as Veil's JSON log lines,
// one each: its default logger prints multi-line text with stack traces to the console, which
// breaks a JSON log pipeline.
import type { Logger as ClientLogger, LogParams } from '@clickhouse/client'
import { createLogger } from '../logger.ts'
import { errorFields } from '../log-error.ts'

const log = createLogger('warn').child({ component: 'clickhouse-client' })

const fields = (p: LogParams & { err?: Error }) => ({
  module: p.module,
  ...(p.err ? { error: errorFields(p.err) } : {}),
})

export class JsonClientLogger implements ClientLogger {
  trace(p: LogParams): void {
    log.trace(fields(p), p.message)
  }
  debug(p: LogParams): void {
    log.debug(fields(p), p.message)
  }
  info(p: LogParams): void {
    log.info(fields(p), p.message)
  }
  warn(p: LogParams & { err?: Error }): void {
    log.warn(fields(p), p.message)
  }
  error(p: LogParams & { err: Error }): void {
    // Every error the client reports is also thrown to the Veil code that made the request,
    // which logs it once with its context; here it would be a second line for one failure.
    log.debug(fields(p), p.message)
  }
}
