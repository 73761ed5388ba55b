// Feedback texts from their aggregate (sql/0040) against the definition they replace (the events
// table): more texts than the limit, over several groups and days of one salt period, and a
// group under k that is the most recent of all.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAppRegistry } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { TEXTS_PER_RATING } from '../../src/query/reports/feedback.ts'
import { insertSeed, seedWeek, type SeedEvent } from './stats-seed.ts'
import { statsApp } from './stats-setup.ts'

const app = statsApp('texts', { k_anonymity: 3 })
let storage: Storage
let dir: string
let days: string[]
let texts: { rating: number; text: string }[]

function seed(): SeedEvent[] {
  const out: SeedEvent[] = []
  const fb = (day: number, user: number, rating: number, text?: string) => out.push({ day, name: 'feedback', user, metrics: { rating }, props: text ? { text } : {} })
  // D0: 4 stars, four authors with six texts each (24, more than the limit); 5 stars, u5-u8.
  for (let n = 0; n < 6; n++) for (const u of [1, 2, 3, 4]) fb(0, u, 4, `four d0 u${u} n${n}`)
  for (const u of [5, 6, 7, 8]) fb(0, u, 5, `five d0 u${u}`)
  // D1: 4 stars again by u5-u7, three authors (= k): newer than every D0 text.
  for (const u of [5, 6, 7]) fb(1, u, 4, `four d1 u${u}`)
  // D2: two authors (under k) of 4 and 5 stars, the most recent texts of all; never shown.
  for (const u of [1, 2]) fb(2, u, 4, `four d2 u${u}`)
  for (const u of [1, 2]) fb(2, u, 5, `five d2 u${u}`)
  // D2: ratings without text and users without a text do not make authors.
  for (const u of [3, 4, 5]) fb(2, u, 5)
  return out
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-texts-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR) // migrated already: migrate() below finds nothing to do
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  days = seedWeek()
  await insertSeed(storage.client, app.id, days, seed())
  const routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), now: () => Date.parse(`${days[6]}T12:00:00Z`) })
  const res = await routes.request(`/v1/stats/feedback?from=${days[0]}&to=${days[6]}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  texts = ((await res.json()) as { texts: { rating: number; text: string }[] }).texts
})
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('feedback texts', () => {
  it('are those the events table gives for groups with k authors, most recent first', async () => {
    // The definition before sql/0040, straight from the events.
    const rs = await storage.client.query({
      query: `SELECT rating, text FROM (
          SELECT rating, text, ts, uniqExact(user_hash) OVER (PARTITION BY salt_period, toDate(ts), rating) AS authors
          FROM (SELECT toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating, props['text'] AS text, ts, salt_period, user_hash
                FROM events WHERE app_id = {app:String} AND name = 'feedback' AND props['text'] != '' AND user_hash != ''))
        WHERE authors >= {k:UInt32} ORDER BY ts DESC LIMIT {n:UInt32} BY rating`,
      query_params: { app: app.id, k: app.k_anonymity, n: TEXTS_PER_RATING },
      format: 'JSONEachRow',
    })
    const expected = await rs.json<{ rating: number; text: string }>()
    expect(texts).toEqual(expected)
  })

  it('keep at most the limit per rating, the newest, and nothing of a group under k', () => {
    const four = texts.filter((t) => t.rating === 4).map((t) => t.text)
    expect(four).toHaveLength(TEXTS_PER_RATING)
    // D1's three come first (newest shown), then the newest 17 of D0's 24.
    expect(four.slice(0, 3)).toEqual(['four d1 u7', 'four d1 u6', 'four d1 u5'])
    expect(four.slice(3, 7)).toEqual(['four d0 u4 n5', 'four d0 u3 n5', 'four d0 u2 n5', 'four d0 u1 n5'])
    expect(four).not.toContain('four d0 u1 n0')
    expect(texts.map((t) => t.text).filter((t) => t.includes(' d2 '))).toEqual([])
    expect(texts.filter((t) => t.rating === 5).map((t) => t.text)).toEqual(['five d0 u8', 'five d0 u7', 'five d0 u6', 'five d0 u5'])
  })
})
