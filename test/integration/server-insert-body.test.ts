// The insert a ClickHouse server gets (CLICKHOUSE_URL): the spool's RowBinary frames and JSON
// bodies go as the body of INSERT ... FORMAT over HTTP, byte for byte, with the insert's settings
// (the deduplication token among them). No ClickHouse server runs here, so a stand-in endpoint
// takes the request and hands its body to the embedded engine parsed with the events table's own
// column types as declared (LowCardinality, DateTime64 with its time zone), which is what a
// server's FORMAT RowBinary parser reads it with; the stored rows must equal the same rows sent
// as JSON. A server's refusal reaches the caller with its code, so poison isolation can act on it.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, type TestServer } from '../support/server.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { EVENT_ROWS } from '../../src/storage/rows/event-rows.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { isDataError } from '../../src/storage/commit/poison.ts'
import { quoteSql } from '../../src/storage/clickhouse/file-insert.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { rows } from '../faults/support.ts'

interface Seen {
  query: string
  params: URLSearchParams
  body: Buffer
}

let engine: TestServer
let standIn: Server
let remote: Storage
const seen: Seen[] = []
/** What the stand-in answers to the next INSERT: the engine's result, or a server's refusal. */
let refuseNext: string | undefined
const dir = tempDir()

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (d: Buffer) => parts.push(d))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })

/** The events table's columns with their declared types, as a server parses an insert with them. */
async function declaredStructure(): Promise<string> {
  const cols = await engine.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position")
  return cols.map((c) => `${c.name} ${c.type}`).join(', ')
}

beforeAll(async () => {
  engine = await startTestServer({ listen: false })
  const structure = await declaredStructure()
  let n = 0
  standIn = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in')
      const body = await readBody(req)
      // clickhouse-js sends a statement with data in the URL and other statements as the body.
      const query = url.searchParams.get('query') ?? body.toString('utf8')
      if (!/^INSERT INTO events /.test(query)) return res.writeHead(200).end()
      seen.push({ query, params: url.searchParams, body })
      if (refuseNext) {
        const message = refuseNext
        refuseNext = undefined
        return res.writeHead(500, { 'X-ClickHouse-Exception-Code': /Code: (\d+)/.exec(message)?.[1] ?? '0' }).end(message)
      }
      const format = /FORMAT (\w+)$/.exec(query)?.[1]
      const path = join(dir, `body-${++n}.${format}`)
      writeFileSync(path, body)
      try {
        await engine.veil.storage.client.command({
          query: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM file(${quoteSql(path)}, '${format}', ${quoteSql(structure)})`,
          clickhouse_settings: { insert_deduplication_token: url.searchParams.get('insert_deduplication_token') ?? '' },
        })
        res.writeHead(200).end()
      } catch (e) {
        res.writeHead(500).end(String(e))
      }
    })()
  })
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve))
  const port = (standIn.address() as { port: number }).port
  remote = await openStorage({ CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: 'veil', DATA_DIR: dir, LOG_LEVEL: 'silent' })
})

afterAll(async () => {
  await remote?.close()
  await new Promise((resolve) => (standIn ? standIn.close(resolve) : resolve(undefined)))
  await engine?.stop()
})

const settings = (token: string) => ({ insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 })

/** The stored rows of an app, every column but app_id, in event-id order. */
async function storedRows(app: string): Promise<string[]> {
  const r = await engine.query<{ row: string }>('SELECT toString(tuple(* EXCEPT app_id)) AS row FROM events WHERE app_id = {app:String} ORDER BY event_id', { app })
  return r.map((x) => x.row)
}

describe('inserts into a ClickHouse server', () => {
  it('sends a RowBinary body unchanged as INSERT ... FORMAT RowBinary, with the settings, and the table’s own types read it as the JSON rows', async () => {
    expect(remote.kind).toBe('server')
    const base = rows(6, 'srv-json')
    base[1]![9] = { path: '/ü/🎉', q: 'x'.repeat(300) }
    base[2]![10] = { ms: 12.25, n: -3 }
    base[3]![2] = 'naïve name'
    base[4]![9] = {}
    const asBinary = base.map((r) => ['srv-binary', ...r.slice(1)] as EventRow)
    const body = EVENT_ROWS.encode(asBinary)
    await remote.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'RowBinary', body, settings: settings('srv-token-1') })
    const req = seen.at(-1)!
    expect(req.query).toBe(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) FORMAT RowBinary`)
    expect(req.params.get('insert_deduplication_token')).toBe('srv-token-1')
    expect(req.params.get('deduplicate_blocks_in_dependent_materialized_views')).toBe('1')
    expect(req.params.get('database')).toBe('veil')
    expect(req.body.equals(body)).toBe(true)

    await engine.veil.storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: encodeRows(base), settings: settings('srv-json-direct') })
    const asJson = await storedRows('srv-json')
    expect(asJson).toHaveLength(6)
    expect(await storedRows('srv-binary')).toEqual(asJson)
  })

  it('sends a JSON body (frames of older spools, direct mode) as INSERT ... FORMAT JSONCompactEachRow', async () => {
    const r = rows(3, 'srv-json-body')
    const body = encodeRows(r)
    await remote.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body, settings: settings('srv-token-2') })
    const req = seen.at(-1)!
    expect(req.query).toBe(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) FORMAT JSONCompactEachRow`)
    expect(req.body.equals(body)).toBe(true)
    expect(await storedRows('srv-json-body')).toHaveLength(3)
  })

  it('rejects with the server’s code when it refuses the rows, which poison isolation recognises', async () => {
    refuseNext = 'Code: 27. DB::Exception: Cannot parse input: expected a row. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)'
    const err = await remote.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'RowBinary', body: EVENT_ROWS.encode(rows(1, 'srv-refused')), settings: settings('srv-token-3') }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(Error)
    expect(isDataError(err)).toBe(true)
    expect(await storedRows('srv-refused')).toEqual([])
  })
})
