// The central Veil's door for on-prem relays (docs/relay.md): POST /v1/relay/rows takes
// anonymised rows, gzip-compressed, with the site's relay key, as a relay's spool holds them
// (src/relay/rows-wire.ts) or as JSON arrays; POST /v1/relay/bundle takes an
// air-gapped site's signed bundle (`veil import`). A relay key sends rows only and a write key
// never does: raw events need the pipeline, rows skip it (src/relay/central/ checks them again).
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { hashKey, type RelaySite } from '../apps/apps.ts'
import { acceptRelayRows, type AcceptRowsDeps } from '../relay/central/accept-rows.ts'
import { readBundle, rowsOfBundle, signedBy } from '../relay/bundle.ts'
import { ROWS_TYPE, isRowsFormat, rowsOfForward } from '../relay/rows-wire.ts'
import { HttpError, badRequest } from './errors.ts'
import { incomingOf, parseJson } from './ingest-adapter.ts'
import { readBodyBytes } from './read-body.ts'

/** A forward's rows may be many: the body limit of rows is this many times MAX_BODY_BYTES. */
const ROWS_BODY_FACTOR = 64

/** Rows in one forward at most (RELAY_FORWARD_ROWS is far below). */
const MAX_ROWS = 100_000

const forwardSchema = z.object({
  version: z.string().max(40),
  rows: z.array(z.unknown()).max(MAX_ROWS),
})

export interface RelayRouteDeps extends AcceptRowsDeps {
  config: AcceptRowsDeps['config'] & { MAX_BODY_BYTES: number }
}

function relayOfKey(deps: RelayRouteDeps, c: Context): RelaySite {
  const auth = c.req.header('authorization') ?? ''
  const key = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1]
  if (!key) throw new HttpError(401, 'a relay key is required: Authorization: Bearer <relay key>')
  const relay = deps.apps.byRelayKey(key)
  if (relay) return relay
  if (deps.apps.byWriteKey(key)) throw new HttpError(401, 'this is a write key: it sends raw events to /v1/batch; relay rows need the site\'s relay key')
  throw new HttpError(401, 'unknown relay key')
}

export function createRelayRoutes(deps: RelayRouteDeps): Hono {
  const app = new Hono()
  const limit = deps.config.MAX_BODY_BYTES * ROWS_BODY_FACTOR

  app.post('/v1/relay/rows', async (c) => {
    const relay = relayOfKey(deps, c)
    const bytes = await readBodyBytes(c.req.raw, limit, incomingOf(c))
    if ((c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === ROWS_TYPE) {
      const format = c.req.header('veil-rows-format')
      const version = (c.req.header('veil-relay-version') ?? '').slice(0, 40)
      if (!isRowsFormat(format)) throw badRequest('Veil-Rows-Format must be RowBinary or JSONCompactEachRow')
      const rows = rowsOfForward(bytes, format)
      if (!rows || rows.length > MAX_ROWS) throw badRequest(`the body is not whole ${format} rows of the events table (at most ${MAX_ROWS})`)
      return c.json(await acceptRelayRows(deps, relay, version, rows), 200)
    }
    const forward = forwardSchema.safeParse(parseJson(bytes.toString('utf8')))
    if (!forward.success) throw badRequest('not a relay forward: {"version": ..., "rows": [...]}')
    return c.json(await acceptRelayRows(deps, relay, forward.data.version, forward.data.rows), 200)
  })

  // The bundle carries its own proof (an HMAC under the relay key's digest): no key is sent.
  app.post('/v1/relay/bundle', async (c) => {
    let bundle
    try {
      bundle = readBundle(await readBodyBytes(c.req.raw, limit, incomingOf(c)))
    } catch (e) {
      if (e instanceof HttpError) throw e
      throw badRequest((e as Error).message)
    }
    // The key that signed it names the relay: the bundle itself carries no claim of who it is.
    const relay = deps.apps.relays.find((r) => signedBy(bundle, r.keys.map((k) => (k.startsWith('sha256:') ? k : hashKey(k)))))
    if (!relay) throw new HttpError(401, 'the bundle is not signed by the key of any relay in the apps file')
    const rows = rowsOfBundle(bundle, limit)
    if (!rows) throw badRequest('the bundle holds no list of rows')
    return c.json(await acceptRelayRows(deps, relay, bundle.version, rows), 200)
  })
  return app
}
