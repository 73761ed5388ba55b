// Poison-row isolation with a hand-written store that refuses rows containing "bad" the way
// ClickHouse does (a data error code): the refused rows end up alone in the dead letters, the
// others are inserted with tokens derived deterministically, transient errors go to the caller.
import { describe, expect, it } from 'vitest'
import { clickhouseCode, insertIsolating, isDataError } from '../../../../src/storage/commit/poison.ts'

const dataError = () => Object.assign(new Error('Code: 25. DB::Exception: Cannot parse escape sequence'), { clickhouseCode: 25 })

function store() {
  const stored: { items: string[]; token: string }[] = []
  const insert = async (items: string[], token: string) => {
    if (items.some((i) => i.includes('bad'))) throw dataError()
    stored.push({ items, token })
  }
  return { stored, insert }
}

describe('isDataError', () => {
  it('knows data errors from chDB fields and from messages, and nothing else', () => {
    expect(isDataError(dataError())).toBe(true)
    expect(isDataError(new Error('Code: 27. DB::Exception: Cannot parse input'))).toBe(true)
    expect(isDataError(new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space'))).toBe(false)
    expect(isDataError(new Error('socket hang up'))).toBe(false)
    expect(clickhouseCode({ code: '25' })).toBe(25)
  })

  it('branches on the code field, of the error or of a cause it wraps, before any message', () => {
    // A transient code whose message quotes a data error's text is transient.
    expect(isDataError(Object.assign(new Error('Code: 27. quoted from a row'), { code: '241' }))).toBe(false)
    expect(clickhouseCode(Object.assign(new Error('Code: 27. quoted'), { clickhouseCode: 243 }))).toBe(243)
    expect(isDataError(new Error('storage rejected the insert', { cause: dataError() }))).toBe(true)
    expect(isDataError(new Error('storage rejected the insert', { cause: Object.assign(new Error('timeout'), { code: '159' }) }))).toBe(false)
  })
})

describe('insertIsolating', () => {
  it('inserts good rows once and dead-letters only the refused ones', async () => {
    const s = store()
    const dead: string[] = []
    const items = ['a', 'b', 'bad1', 'c', 'd', 'e', 'bad2', 'f']
    const n = await insertIsolating(items, 't', s.insert, async (rows) => void dead.push(...rows))
    expect(n).toBe(2)
    expect(dead).toEqual(['bad1', 'bad2'])
    expect(s.stored.flatMap((x) => x.items).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
  })

  it('derives the same tokens when run again (a retry after a crash is deduplicated)', async () => {
    const a = store()
    const b = store()
    const items = ['a', 'bad', 'c', 'd']
    await insertIsolating(items, 't', a.insert, async () => undefined)
    await insertIsolating(items, 't', b.insert, async () => undefined)
    expect(a.stored.map((x) => x.token)).toEqual(b.stored.map((x) => x.token))
    expect(new Set(a.stored.map((x) => x.token)).size).toBe(a.stored.length)
  })

  it('throws a transient error to the caller instead of dead-lettering', async () => {
    const down = async () => {
      throw new Error('Code: 210. DB::NetException: Connection refused')
    }
    const dead: string[] = []
    await expect(insertIsolating(['a', 'b'], 't', down, async (r) => void dead.push(...r))).rejects.toThrow(/Connection refused/)
    expect(dead).toEqual([])
  })
})
