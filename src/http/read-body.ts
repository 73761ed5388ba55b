// Reads a request body within a byte limit (Hono's body-limit middleware, adapted): the limit
// applies to what arrives and, for gzip, to what it inflates to, so neither a huge chunked
// upload nor a gzip bomb can make the server buffer more than the limit.
import type { IncomingMessage } from 'node:http'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { HttpError } from './errors.ts'

const gunzipAsync = promisify(gunzip)

/** The client closed the connection (or reset it) before its body was read. */
export class ClientClosedError extends HttpError {
  override name = 'ClientClosedError'
  constructor() {
    super(400, 'the client closed the connection before the body was read', { Connection: 'close' })
  }
}

// Connection: close, so that node:http drops the socket after the answer instead of reading
// the rest of an endless upload.
const tooLarge = (limit: number) =>
  new HttpError(413, `the request body is larger than ${limit} bytes; send fewer events per batch`, { Connection: 'close' })

/**
 * Straight from node:http's message when there is one: the web stream that Request.body wraps
 * around it (Readable.toWeb) costs more per request than the rest of the edge together.
 */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        done()
        incoming.resume() // the rest is read and dropped; the 413 goes out meanwhile
        reject(tooLarge(limit))
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      done()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    // A client that goes away mid-body is not a server error (F10): 400 that nobody reads,
    // counted apart, never logged as an error.
    const onError = () => {
      done()
      reject(new ClientClosedError())
    }
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onError)
  })
}

async function readLimited(req: Request, limit: number, incoming?: IncomingMessage): Promise<Buffer> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit)
  if (incoming && !incoming.readableDidRead) return readIncoming(incoming, limit)
  if (!req.body) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      throw new ClientClosedError()
    })
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) : Buffer.concat(chunks)
}

/**
 * The decoded body text; 413 over the limit, 415 for an encoding other than gzip. `incoming` is
 * node:http's message behind `req` on @hono/node-server (c.env.incoming), absent in app.request().
 */
export async function readBody(req: Request, limit: number, incoming?: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req, limit, incoming)).toString('utf8')
}

/** As readBody, but the bytes: the dialect routes decode further (base64 forms, unlabelled gzip). */
export async function readBodyBytes(req: Request, limit: number, incoming?: IncomingMessage): Promise<Buffer> {
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(415, `Content-Encoding "${encoding}" is not supported; send gzip or no encoding`)
  }
  const raw = await readLimited(req, limit, incoming)
  return encoding === 'identity' ? raw : gunzipLimited(raw, limit)
}

/** Inflates gzip data within the limit: 413 beyond it, 400 for data that is not gzip. */
export async function gunzipLimited(raw: Buffer, limit: number): Promise<Buffer> {
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit })
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(413, `the request body inflates to more than ${limit} bytes`)
    }
    throw new HttpError(400, 'the body is not valid gzip data')
  }
}

/** application/json or text/plain (browsers send text/plain to avoid a CORS preflight). */
export function checkContentType(req: Request): void {
  const sent = req.headers.get('content-type')
  // What the SDKs send, as sent: no split and case fold per request.
  if (sent === 'text/plain' || sent === 'application/json' || sent === 'text/plain;charset=UTF-8') return
  const type = (sent ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json' && type !== 'text/plain') {
    throw new HttpError(415, `Content-Type must be application/json or text/plain, not "${type || 'missing'}"`)
  }
}
