// The filter of stored ids in front of the store check (stored-ids-filter.ts): it never says
// "certainly not" of an id it was given (by text, by RowBinary body or by the 16-byte rows the
// engine writes), it says "maybe" of few others, it forgets whole half hours past the window,
// and it keeps to its memory budget.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createStoredIdsFilter } from '../../../../src/storage/dedup/stored-ids-filter.ts'
import { EVENT_ROWS } from '../../../../src/storage/rows/event-rows.ts'
import type { EventRow } from '../../../../src/pipeline/types.ts'

const HOUR = 3600_000
const row = (id: string, app = 'app'): EventRow =>
  [app, id, 'page_view', 0, 0, 'uh', 'sh', '', 1, { path: '/a', 'ü-key': 'wert €' }, { ms: 1.5 }, 'DE', 'München', 'Chrome', '120', 'Windows', '10', 'desktop', 'de-DE', 1920, 1080, '1.0', 'cloud', 'user']
const ids = (n: number) => Array.from({ length: n }, () => randomUUID())
/** The 16 bytes per id of `SELECT event_id ... FORMAT RowBinary`. */
const idRows = (list: string[]) => Buffer.concat(list.map((id) => EVENT_ROWS.encode([row(id)]).subarray(1 + 3, 1 + 3 + 16)))

describe('the stored-ids filter', () => {
  it('holds every id it was given, however it was given, and few others', async () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 64 * 2 ** 20 })
    const byText = ids(60_000)
    const inBody = ids(60_000)
    const asRows = ids(60_000)
    f.add(byText)
    await f.addBody(EVENT_ROWS.encode(inBody.map((id, i) => row(id, i % 2 ? 'an-app-with-a-longer-name' : 'a'))))
    f.addIdRows(idRows(asRows))
    for (const list of [byText, inBody, asRows]) {
      expect(f.probable(list)).toHaveLength(list.length)
      expect(f.probableInBody(EVENT_ROWS.encode(list.map((id) => row(id))))).toEqual(list)
      expect(await f.probableThenAdd(EVENT_ROWS.encode(list.slice(0, 500).map((id) => row(id, 'another-app'))))).toEqual(idRows(list.slice(0, 500)))
    }
    // Upper-case text is the same UUID.
    expect(f.probable(byText.slice(0, 100).map((id) => id.toUpperCase()))).toHaveLength(100)
    const others = ids(100_000)
    const maybe = f.probable(others).length
    expect(maybe).toBeLessThan(others.length * 0.03)
    expect(f.probableInBody(EVENT_ROWS.encode(others.slice(0, 20_000).map((id) => row(id)))).length).toBeLessThan(20_000 * 0.03)
  })

  it('answers for a body and adds its ids in one walk: an id is "maybe" only after it was added', async () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 64 * 2 ** 20 })
    const first = ids(2000)
    expect((await f.probableThenAdd(EVENT_ROWS.encode(first.map((id) => row(id))))).length).toBeLessThan(2000 * 0.01)
    const again = [...first.slice(0, 50), ...ids(1000)]
    const maybe = await f.probableThenAdd(EVENT_ROWS.encode(again.map((id) => row(id))))
    expect(maybe.length).toBeGreaterThanOrEqual(800)
    expect(maybe.subarray(0, 800)).toEqual(idRows(first.slice(0, 50)))
    expect(f.probable(again)).toHaveLength(again.length)
  })

  it('holds nothing at first, and says "maybe" of no id then', () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 2 ** 20 })
    expect(f.loaded).toBe(false)
    expect(f.probable(ids(1000))).toEqual([])
    f.markLoaded()
    expect(f.loaded).toBe(true)
  })

  it('remembers an id for the whole window and forgets it after', () => {
    let t = Date.UTC(2030, 0, 1, 10, 5) // fixed date: the filter's own clock, injected
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 2 ** 20, now: () => t })
    const early = ids(1000)
    f.add(early)
    for (const later of [1, 30, 90, 119, 120].map((m) => m * 60_000)) {
      t = Date.UTC(2030, 0, 1, 10, 5) + later // fixed date: as above
      f.add(ids(10)) // other ids stored meanwhile, in later half hours
      expect(f.probable(early)).toHaveLength(early.length)
    }
    t = Date.UTC(2030, 0, 1, 10, 5) + 3 * HOUR // fixed date: as above
    expect(f.probable(early).length).toBeLessThan(10)
  })

  it('sizes a new half hour for the rate it saw, so false positives stay low', () => {
    let t = Date.UTC(2030, 0, 1, 10, 0) // fixed date: the filter's own clock, injected
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 64 * 2 ** 20, now: () => t })
    f.add(ids(400_000))
    t += 30 * 60_000
    f.add(ids(400_000))
    const others = ids(50_000)
    expect(f.probable(others).length).toBeLessThan(others.length * 0.03)
  })

  it('takes a load of known size into one filter, so it asks few filters and says "maybe" of few others', () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 64 * 2 ** 20 })
    const loaded = ids(300_000)
    f.reserve(loaded.length)
    f.addIdRows(idRows(loaded))
    expect(f.probable(loaded)).toHaveLength(loaded.length)
    expect(f.probable(ids(50_000)).length).toBeLessThan(50_000 * 0.015)
  })

  it('keeps to its memory budget and still holds every id (with more false positives)', () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 256 * 1024 })
    const given = ids(400_000)
    f.add(given)
    expect(f.stats().bytes).toBeLessThanOrEqual(256 * 1024)
    expect(f.probable(given)).toHaveLength(given.length)
    expect(f.stats().ids).toBe(400_000)
  })

  it('walks large inputs in pieces, answering as the whole walk would and letting the event loop turn in between', async () => {
    const f = createStoredIdsFilter({ windowMs: 2 * HOUR, maxBytes: 64 * 2 ** 20 })
    const loaded = ids(400_000)
    let turns = 0
    let ticking = true
    const tick = () => {
      turns++
      if (ticking) setImmediate(tick)
    }
    setImmediate(tick)
    // 400 k ids cannot be added in the 2 ms a piece may take: the ticker runs between pieces.
    await f.addIdRowsYielding(idRows(loaded))
    const turnsDuringLoad = turns
    const others = ids(50_000)
    const asked = [...loaded.slice(0, 50_000), ...others]
    expect(await f.probableYielding(asked)).toEqual(f.probable(asked))
    ticking = false
    expect(turnsDuringLoad).toBeGreaterThan(1)
    expect(f.stats().ids).toBe(loaded.length)
    expect(f.probable(loaded)).toHaveLength(loaded.length)
  })
})
