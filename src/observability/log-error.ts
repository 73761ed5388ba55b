// Errors as log fields: one line each, with the cause and ClickHouse's code, so that a JSON log
// pipeline gets one entry per failure (engine errors span many lines and carry a stack trace).
export interface ErrorFields {
  type: string
  message: string
  code?: string
  cause?: string
}

const oneLine = (s: string, max: number) => s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, max)

export function errorFields(e: unknown): ErrorFields {
  if (!(e instanceof Error)) return { type: typeof e, message: oneLine(String(e), 500) }
  const err = e as Error & { code?: unknown; cause?: unknown }
  const out: ErrorFields = { type: err.name, message: oneLine(err.message, 500) }
  if (err.code !== undefined) out.code = String(err.code)
  if (err.cause instanceof Error) {
    const cause = err.cause as Error & { code?: unknown }
    out.cause = oneLine(`${cause.name}: ${cause.message}`, 500)
    if (out.code === undefined && cause.code !== undefined) out.code = String(cause.code)
  } else if (err.cause !== undefined) {
    out.cause = oneLine(String(err.cause), 500)
  }
  return out
}
