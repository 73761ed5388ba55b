// `npm run veil -- spool | dead-letter ...` against a real spool directory and real chDB: the
// report counts waiting rows and damaged segments; refeed stores the rows ClickHouse takes now
// (once, however often it runs) and keeps the ones it still refuses.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../support/server.ts'
import { runCli } from '../../src/cli.ts'
import { openSpool } from '../../src/storage/spool/spool.ts'
import { appendDeadLetters } from '../../src/storage/spool/dead-letter-file.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import type { EventRow } from '../../src/pipeline/types.ts'

const dir = tempDir('spool-cli-')
const spoolDir = join(dir, 'spool')
process.env.DATA_DIR = join(dir, 'clickhouse')
process.env.SPOOL_DIR = spoolDir
process.env.LOG_LEVEL = 'silent'
afterAll(() => {
  delete process.env.DATA_DIR
  delete process.env.SPOOL_DIR
})

const row = (id: string, note: string): EventRow =>
  ['cli-app', id, 'login', Date.now(), Date.now(), 'u', 's', '', 1, { note }, {}, '', '', '', '', '', '', 'desktop', '', 0, 0, '', '', 'user']

async function cli(...args: string[]): Promise<{ code: number; text: string }> {
  let text = ''
  const out = { write: async (s: string) => void (text += s) }
  const code = await runCli(args, out)
  return { code, text }
}

describe('veil spool', () => {
  it('reports the rows waiting, damaged segments and dead letters', async () => {
    const spool = await openSpool({ dir: spoolDir, insert: () => new Promise(() => undefined), maxBytes: 2 ** 20, segmentBytes: 64 * 1024, insertRows: 100, feedDelayMs: 3_600_000 })
    await spool.append(encodeRows([row('00000000-0000-4000-8000-000000000001', 'a'), row('00000000-0000-4000-8000-000000000002', 'b')]), 2)
    await spool.close(10)
    writeFileSync(join(spoolDir, '0000000099.seg.damaged'), 'x'.repeat(10))
    const { code, text } = await cli('spool')
    expect(code).toBe(0)
    const report = JSON.parse(text) as { waitingRows: number; damaged: { name: string }[]; deadLetters: number }
    expect(report.waitingRows).toBe(2)
    expect(report.damaged.map((d) => d.name)).toEqual(['0000000099.seg.damaged'])
    expect(report.deadLetters).toBe(0)
  })
})

describe('veil dead-letter', () => {
  const good = row('00000000-0000-4000-8000-000000000011', 'fixed by the operator')
  const bad = row('00000000-0000-4000-8000-000000000012', 'still \ud800 bad')

  it('exports the dead-lettered rows and re-feeds those ClickHouse takes now, once', async () => {
    expect((await cli('migrate')).code).toBe(0)
    await appendDeadLetters(spoolDir, [Buffer.from(JSON.stringify(good)), Buffer.from(JSON.stringify(bad))], 'Code: 25. bad escape', 'tok')
    const exported = await cli('dead-letter', 'export')
    expect(exported.text.trim().split('\n')).toHaveLength(2)
    const first = await cli('dead-letter', 'refeed')
    expect(first.text).toMatch(/stored 1 rows; 1 refused again/)
    expect(first.code).toBe(1)
    const left = readFileSync(join(spoolDir, 'dead-letter.jsonl'), 'utf8').trim().split('\n')
    expect(left).toHaveLength(1)
    expect(left[0]).toContain('000000000012')
    // The same good row re-fed again (the file restored from a backup, say) is stored once.
    appendFileSync(join(spoolDir, 'dead-letter.jsonl'), JSON.stringify({ at: '', reason: 'x', token: 'tok', row: JSON.stringify(good) }) + '\n')
    expect((await cli('dead-letter', 'refeed')).text).toMatch(/stored 1 rows; 1 refused again/)
    const counted = await cli('sql', "SELECT count() AS n FROM events WHERE app_id = 'cli-app'")
    expect(Number((JSON.parse(counted.text) as { n: unknown }).n)).toBe(1)
    // The aggregates of the re-fed rows' day can be recomputed by hand, to the same values.
    expect((await cli('repair-aggregates', '1')).text).toMatch(/recomputed \d+ aggregate tables for 1 \(app, day\) pairs/)
    const agg = await cli('sql', "SELECT sum(events) AS n FROM agg_events_daily WHERE app_id = 'cli-app'")
    expect(Number((JSON.parse(agg.text) as { n: unknown }).n)).toBe(1)
  }, 60_000)

  it('re-feeds with the server\'s insert settings: a row spooled before a column existed takes its default', async () => {
    // 23 values: written before user_kind (sql/0009). The server's inserts take such rows; the
    // refeed left out that setting and kept the row as refused.
    const old = ['cli-old-app', '00000000-0000-4000-8000-000000000021', ...row('', '').slice(2, 23)]
    await appendDeadLetters(spoolDir, [Buffer.from(JSON.stringify(old))], 'Code: 25. bad escape', 'tok-old')
    expect((await cli('dead-letter', 'refeed')).text).toMatch(/stored 1 rows; 1 refused again/)
    const stored = await cli('sql', "SELECT count() AS n FROM events WHERE app_id = 'cli-old-app'")
    expect(JSON.parse(stored.text)).toMatchObject({ n: 1 })
  }, 60_000)
})
