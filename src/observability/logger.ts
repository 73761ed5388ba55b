// Structured JSON logs (pino). They carry counts, app ids, statuses and reasons only: never an
// IP, a User-Agent, a raw identifier or a request body (PRIVACY.md 1). Request logging is not
// automatic for that reason; call sites choose each field.
import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'veil' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: should a field with one of these names ever be logged, it is removed.
      redact: { paths: ['ip', 'userAgent', 'user_agent', 'user_id', 'session_id', 'org_id', 'body', 'headers', 'key'], remove: true },
    },
    destination,
  )
}
