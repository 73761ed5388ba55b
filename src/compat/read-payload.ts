// The body of a PostHog or Segment request as JSON, whatever wrapping its SDK chose:
// Content-Encoding gzip, `?compression=gzip-js`, gzip with no label at all (posthog-js sends it
// as text/plain; recognised by the 1f 8b magic bytes), and `data=<base64>` forms from sendBeacon.
// Every size limit applies to the decoded bytes too.
import type { Context } from 'hono'
import { incomingOf, parseJson } from '../http/ingest-adapter.ts'
import { HttpError, badRequest } from '../http/errors.ts'
import { gunzipLimited, readBodyBytes } from '../http/read-body.ts'

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b

/** `data=...` of an urlencoded form (PostHog's sendBeacon and base64 modes). */
function formData(body: Buffer): string | undefined {
  const text = body.toString('latin1')
  if (!text.startsWith('data=') && !text.includes('&data=')) return undefined
  return new URLSearchParams(text).get('data') ?? undefined
}

/** Decodes base64 (standard or url-safe; a `+` that a form turned into a space is put back). */
function fromBase64(s: string): Buffer {
  const clean = s.replace(/ /g, '+').trim()
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw badRequest('the body says base64 but is not base64')
  return Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64')
}

/** The decoded JSON, and its size in bytes (Segment's per-call limit needs no look below it). */
export async function readPayload(c: Context, limit: number): Promise<{ json: unknown; bytes: number }> {
  const compression = (c.req.query('compression') ?? '').toLowerCase()
  if (compression === 'lz64') {
    // posthog-js dropped LZ-string long ago; gzip-js and base64 cover every current SDK.
    throw new HttpError(415, 'compression=lz64 is not supported; send gzip-js, base64 or plain JSON')
  }
  let body = await readBodyBytes(c.req.raw, limit, incomingOf(c))
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded' || compression === 'base64' || body[0] === 0x64 /* d */) {
    const data = formData(body)
    if (data !== undefined) {
      const decoded = Buffer.from(data, 'utf8')
      const looksJson = decoded[0] === 0x7b /* { */ || decoded[0] === 0x5b /* [ */
      body = compression === 'base64' || !looksJson ? fromBase64(data) : decoded
    } else if (compression === 'base64' && body[0] !== 0x7b && body[0] !== 0x5b) {
      // A bare base64 body; one that is plainly JSON despite the label is read as JSON.
      body = fromBase64(body.toString('latin1'))
    }
  }
  if (isGzip(body)) body = await gunzipLimited(body, limit)
  else if (compression === 'gzip-js' || compression === 'gzip') throw badRequest(`the body is not gzip data although compression=${compression} says so`)
  if (body.length > limit) throw new HttpError(413, `the request body decodes to more than ${limit} bytes`)
  return { json: parseJson(body.toString('utf8')), bytes: body.length }
}
