// The relay's uplink (docs/relay.md "Store and forward"): the spool's insert, replaced. Where a
// node's feeder inserts a range of rows into ClickHouse, a relay's feeder hands the same range
// here, and its bytes go to the central Veil as they are in the spool (rows-wire.ts),
// gzip-compressed, in one POST /v1/relay/rows: decoding and re-encoding them as JSON cost the
// relay 14 µs of main thread per event (docs/relay.md "Sizing"). Through
// HTTPS_PROXY when set (a CONNECT tunnel, https-proxy-agent, as the on-prem SDK does). A range
// that fails stays in the spool and is sent again, after a back-off that grows while the uplink
// stays away; its rows are stored once centrally (their event ids are deduplicated there).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { backoffDelay } from '../../sdk/core/backoff.ts'
import type { SpoolInsertFn } from '../storage/commit/events-insert.ts'
import type { RowsFormat } from '../storage/rows/rows-format.ts'
import { ROWS_TYPE } from './rows-wire.ts'

export interface UplinkOptions {
  /** The central Veil, e.g. https://veil.example.com. */
  centralUrl: string
  relayKey: string
  version: string
  proxy?: string
  timeoutMs: number
  backoffMaxMs: number
  /** False until the site approved its first forward (RELAY_REQUIRE_APPROVAL, outbox.ts). */
  approved(): boolean
  /** Told of every range the central Veil acknowledged (the outbox's "sent"), as the bytes sent. */
  /** `token`: the spool's insert token of the range sent (`id:segment:start-end`, storage/spool/feeder.ts). */
  onSent(body: Buffer, format: RowsFormat, answer: ForwardAnswer, token: string): void
  random?: () => number
}

/** The central answer (src/relay/central/accept-rows.ts). */
export interface ForwardAnswer {
  accepted: number
  duplicates: number
  rejected: { index: number; reason: string }[]
}

// On libuv's pool, not the main thread: a forward of 5000 rows is megabytes of JSON.
const gzipAsync = promisify(gzip)

export class UplinkError extends Error {
  override name = 'UplinkError'
}

/** One request to the central Veil with the relay key, through the proxy when one is set. */
export function centralRequest(
  o: Pick<UplinkOptions, 'centralUrl' | 'relayKey' | 'proxy' | 'timeoutMs'>,
  path: string,
  body?: { bytes: Buffer; headers: Record<string, string> },
): Promise<{ status: number; text: string }> {
  const target = new URL(path, o.centralUrl)
  const https = target.protocol === 'https:'
  const agent = o.proxy ? new HttpsProxyAgent(o.proxy) : undefined
  const headers: Record<string, string> = { authorization: `Bearer ${o.relayKey}`, ...(body ? { ...body.headers, 'content-length': String(body.bytes.length) } : {}) }
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    }
    const options = { method: body ? 'POST' : 'GET', headers, agent, timeout: o.timeoutMs }
    const req = https ? httpsRequest(target, options, onResponse) : httpRequest(target, options, onResponse)
    req.on('timeout', () => req.destroy(new UplinkError(`no answer from ${target.origin} within ${o.timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body?.bytes)
  })
}

export function createUplink(o: UplinkOptions): { insert: SpoolInsertFn; failuresInARow(): number } {
  let failures = 0
  const random = o.random ?? Math.random
  async function insert(body: Buffer, _rows: number, token: string, _first?: boolean, format: RowsFormat = 'RowBinary'): Promise<void> {
    if (!o.approved()) throw new UplinkError('waiting for the local approval of the first forward (veil relay approve, or the outbox page)')
    // The feeder retries a failed range after a second; the uplink stretches that while it stays away.
    if (failures > 0) await new Promise((r) => setTimeout(r, backoffDelay(failures - 1, random, { baseMs: 1000, maxMs: o.backoffMaxMs })).unref())
    try {
      const headers = { 'content-type': ROWS_TYPE, 'content-encoding': 'gzip', 'veil-rows-format': format, 'veil-relay-version': o.version }
      const answer = await centralRequest(o, '/v1/relay/rows', { bytes: await gzipAsync(body), headers })
      if (answer.status !== 200) throw new UplinkError(`the central Veil answered ${answer.status}: ${answer.text.slice(0, 200)}`)
      failures = 0
      o.onSent(body, format, JSON.parse(answer.text) as ForwardAnswer, token)
    } catch (e) {
      failures++
      throw e
    }
  }
  return { insert, failuresInARow: () => failures }
}
