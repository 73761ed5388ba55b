// Poison rows: rows ClickHouse refuses for what they are, not for its own state. An insert that
// fails that way is split in halves until the refused rows are alone; those go to a dead-letter
// place and the rest is stored, so one bad row never blocks what is behind it (Vector's and
// Kafka Connect's dead-letter queues work the same way).
import { errorFields } from '../../observability/log-error.ts'

/**
 * ClickHouse error codes that describe the data, so the same rows fail the same way every time
 * (https://github.com/ClickHouse/ClickHouse/blob/master/src/Common/ErrorCodes.cpp). Anything
 * else (a full disk, a timeout, a lost connection, too many parts) is treated as transient.
 */
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (a lone UTF-16 surrogate in JSON)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (a CHECK constraint)
  469, // VIOLATED_CONSTRAINT
])

/** A code field of one error: chDB's `clickhouseCode`, or @clickhouse/client's `code` (a numeric string). */
function codeField(e: unknown): number | undefined {
  const chdb = (e as { clickhouseCode?: unknown } | undefined)?.clickhouseCode
  if (typeof chdb === 'number') return chdb
  const own = (e as { code?: unknown } | undefined)?.code
  if (typeof own === 'string' && /^\d+$/.test(own)) return Number(own)
  return typeof own === 'number' ? own : undefined
}

/**
 * The ClickHouse error code of a failure: the code field of the error or of a cause it wraps
 * (StorageUnavailableError, the file door), never the message when a field has one. Only an
 * error chain without any code field is read for the engine's "Code: N." text.
 */
export function clickhouseCode(e: unknown): number | undefined {
  let x: unknown = e
  for (let depth = 0; depth < 5 && x !== undefined && x !== null; depth++) {
    const code = codeField(x)
    if (code !== undefined) return code
    x = (x as { cause?: unknown }).cause
  }
  const m = /\bCode: (\d+)\./.exec(e instanceof Error ? e.message : String(e))
  return m ? Number(m[1]) : undefined
}

/** True when the rows themselves were refused: retrying them unchanged can never succeed. */
export function isDataError(e: unknown): boolean {
  const code = clickhouseCode(e)
  return code !== undefined && DATA_ERROR_CODES.has(code)
}

type InsertItems<T> = (items: T[], token: string) => Promise<void>
type DeadLetterItems<T> = (items: T[], reason: string) => Promise<void>

/**
 * Inserts `items` with `token`; on a data error, splits them (see splitInsert). Transient
 * errors are thrown to the caller, who retries the whole range with the same token.
 * Resolves with the number of dead-lettered items.
 */
export async function insertIsolating<T>(items: T[], token: string, insert: InsertItems<T>, deadLetter: DeadLetterItems<T>): Promise<number> {
  try {
    await insert(items, token)
    return 0
  } catch (e) {
    if (!isDataError(e)) throw e
    if (items.length === 1) {
      await deadLetter(items, errorFields(e).message)
      return 1
    }
    return splitInsert(items, token, insert, deadLetter)
  }
}

/**
 * Items whose insert ClickHouse refused for their data: each half is inserted with a token
 * derived from this one (`/0`, `/1`), and split again while refused, down to single items,
 * which are handed to `deadLetter`. The split is deterministic, so a retry of the whole range
 * after a crash reproduces the same tokens and ClickHouse drops the halves it already has.
 */
export async function splitInsert<T>(items: T[], token: string, insert: InsertItems<T>, deadLetter: DeadLetterItems<T>): Promise<number> {
  const mid = items.length >> 1
  const a = await insertIsolating(items.slice(0, mid), `${token}/0`, insert, deadLetter)
  return a + (await insertIsolating(items.slice(mid), `${token}/1`, insert, deadLetter))
}
