// The air-gapped way (docs/relay.md "Air-gapped sites"): pending rows as one signed, compressed
// file. `veil relay export` writes it at the site, `veil import` (POST /v1/relay/bundle) takes it
// centrally. The signature is an HMAC-SHA256 under the digest of the relay key, which both sides
// hold (the apps file keeps relay keys as `sha256:<hex>` only); importing a bundle twice stores
// its rows once, as their event ids are deduplicated like any retry.
import { createHmac, createHash, timingSafeEqual } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import { z } from 'zod'

export const BUNDLE_FORMAT = 'veil-relay-bundle/1'

const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.string().max(40),
  created_at: z.number().int(),
  rows_gzip_base64: z.string(),
  hmac_sha256: z.string().regex(/^[0-9a-f]{64}$/),
})
export type Bundle = z.infer<typeof bundleSchema>

/** The signing secret of a relay key: the hex digest the apps file stores after `sha256:`. */
export const signingSecretOf = (relayKey: string) => createHash('sha256').update(relayKey).digest('hex')

const macOf = (secret: string, b: Omit<Bundle, 'hmac_sha256'>) =>
  createHmac('sha256', secret).update(`${b.format}\n${b.version}\n${b.created_at}\n${b.rows_gzip_base64}`).digest('hex')

export function writeBundle(version: string, relayKey: string, rows: readonly unknown[], now: number): Buffer {
  const body = { format: BUNDLE_FORMAT, version, created_at: now, rows_gzip_base64: gzipSync(JSON.stringify(rows)).toString('base64') } as const
  return Buffer.from(JSON.stringify({ ...body, hmac_sha256: macOf(signingSecretOf(relayKey), body) }) + '\n')
}

/** The bundle's header fields, unverified; throws on a file that is not a bundle. */
export function readBundle(bytes: Buffer): Bundle {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new Error('not a relay bundle (not JSON)')
  }
  const b = bundleSchema.safeParse(json)
  if (!b.success) throw new Error(`not a relay bundle: ${b.error.issues[0]!.path.join('.')}: ${b.error.issues[0]!.message}`)
  return b.data
}

/** Whether one of `storedKeys` (`sha256:<hex>`) signed the bundle. */
export function signedBy(b: Bundle, storedKeys: readonly string[]): boolean {
  const sent = Buffer.from(b.hmac_sha256, 'hex')
  return storedKeys.some((k) => k.startsWith('sha256:') && timingSafeEqual(Buffer.from(macOf(k.slice(7), b), 'hex'), sent))
}

/** The rows of a bundle (check signedBy first). */
export function rowsOfBundle(b: Bundle, maxBytes: number): unknown[] | undefined {
  try {
    const rows: unknown = JSON.parse(gunzipSync(Buffer.from(b.rows_gzip_base64, 'base64'), { maxOutputLength: maxBytes }).toString('utf8'))
    return Array.isArray(rows) ? rows : undefined
  } catch {
    return undefined
  }
}
