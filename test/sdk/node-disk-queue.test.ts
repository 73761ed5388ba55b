// The Node SDK's disk queue on a real file system: order, acknowledgement across reopen, torn and
// damaged lines, the byte bound.
import { afterEach, describe, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDiskQueue, type DiskQueue } from '../../sdk/node/disk-queue.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

const dirs: string[] = []
const open: DiskQueue[] = []
afterEach(() => {
  for (const q of open.splice(0)) q.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'veil-queue-'))
  dirs.push(d)
  return d
}

function openQueue(dir: string, maxBytes = 1024 * 1024, segmentBytes = 64 * 1024): DiskQueue {
  const q = createDiskQueue({ dir, maxBytes, segmentBytes })
  open.push(q)
  return q
}

function reopen(q: DiskQueue, dir: string, maxBytes?: number, segmentBytes?: number): DiskQueue {
  q.close()
  open.splice(open.indexOf(q), 1)
  return openQueue(dir, maxBytes, segmentBytes)
}

const ev = (i: number): WireEvent => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: 'rule_add', ts: 1_700_000_000_000 + i })
const upTo = (n: number) => (events: WireEvent[]) => events.length < n
const ids = (events: WireEvent[]) => events.map((e) => Number(e.id.slice(-12)))

describe('disk queue', () => {
  it('gives events back oldest first, as many as the caller accepts', () => {
    const q = openQueue(newDir())
    for (let i = 0; i < 5; i++) q.append(ev(i))
    expect(ids(q.peek(upTo(3)).events)).toEqual([0, 1, 2])
  })

  it('counts the events it holds: appended, acknowledged, after a reopen and after clear', () => {
    const dir = newDir()
    const q = openQueue(dir)
    for (let i = 0; i < 5; i++) q.append(ev(i))
    expect(q.count).toBe(5)
    q.ack(q.peek((events) => events.length < 2))
    expect(q.count).toBe(3)
    const again = reopen(q, dir)
    expect(again.count).toBe(3)
    again.clear()
    expect(again.count).toBe(0)
  })

  it('never gives back acknowledged events, also after a reopen', () => {
    const dir = newDir()
    let q = openQueue(dir)
    for (let i = 0; i < 5; i++) q.append(ev(i))
    q.ack(q.peek(upTo(3)))
    expect(ids(q.peek(upTo(10)).events)).toEqual([3, 4])
    q = reopen(q, dir)
    expect(ids(q.peek(upTo(10)).events)).toEqual([3, 4])
  })

  it('keeps unacknowledged events across a reopen and appends after them', () => {
    const dir = newDir()
    let q = openQueue(dir)
    q.append(ev(0))
    q = reopen(q, dir)
    q.append(ev(1))
    expect(ids(q.peek(upTo(10)).events)).toEqual([0, 1])
  })

  it('reads across segments and deletes segments once acknowledged', () => {
    const dir = newDir()
    const q = openQueue(dir, 64 * 1024, 1024)
    for (let i = 0; i < 40; i++) q.append(ev(i))
    expect(readdirSync(join(dir, 'queue')).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(2)
    let seen: number[] = []
    for (let p = q.peek(upTo(7)); p.events.length; p = q.peek(upTo(7))) {
      seen = seen.concat(ids(p.events))
      q.ack(p)
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(readdirSync(join(dir, 'queue')).filter((f) => f.endsWith('.log')).length).toBe(1)
    expect(q.bytes).toBe(0)
  })

  it('skips a line torn by a crash mid-write and counts it once it is passed', () => {
    const dir = newDir()
    let q = openQueue(dir)
    q.append(ev(0))
    q = reopen(q, dir)
    const segment = join(dir, 'queue', readdirSync(join(dir, 'queue')).filter((f) => f.endsWith('.log')).sort()[0])
    appendFileSync(segment, readFileSync(segment, 'utf8').slice(0, 30)) // half a record, no newline
    q = reopen(q, dir)
    q.append(ev(1))
    const p = q.peek(upTo(10))
    expect(ids(p.events)).toEqual([0, 1])
    expect(q.drops.corrupt).toBe(0)
    q.ack(p)
    expect(q.drops.corrupt).toBe(1)
  })

  it('skips a damaged record whose checksum does not match', () => {
    const dir = newDir()
    let q = openQueue(dir)
    for (let i = 0; i < 3; i++) q.append(ev(i))
    q = reopen(q, dir)
    const segment = join(dir, 'queue', readdirSync(join(dir, 'queue')).filter((f) => f.endsWith('.log')).sort()[0])
    const lines = readFileSync(segment, 'utf8').split('\n')
    lines[1] = lines[1].replace('rule_add', 'rule_adX')
    writeFileSync(segment, lines.join('\n'))
    q = reopen(q, dir)
    const p = q.peek(upTo(10))
    expect(ids(p.events)).toEqual([0, 2])
    q.ack(p)
    expect(q.drops.corrupt).toBe(1)
  })

  it('stays within maxBytes by dropping the oldest events and counting them', () => {
    const q = openQueue(newDir(), 4096, 1024)
    for (let i = 0; i < 200; i++) q.append(ev(i))
    expect(q.bytes).toBeLessThanOrEqual(4096)
    const left = ids(q.peek(upTo(1000)).events)
    expect(left.at(-1)).toBe(199)
    expect(left).toEqual(Array.from({ length: left.length }, (_, i) => 200 - left.length + i))
    expect(q.drops.queue_overflow).toBe(200 - left.length)
    expect(q.count).toBe(left.length)
  })

  it('forgets everything on clear', () => {
    const dir = newDir()
    let q = openQueue(dir, 64 * 1024, 1024)
    for (let i = 0; i < 40; i++) q.append(ev(i))
    q.clear()
    expect(q.peek(upTo(10)).events).toEqual([])
    q = reopen(q, dir, 64 * 1024, 1024)
    expect(q.peek(upTo(10)).events).toEqual([])
  })

  it('refuses a bound too small for two segments', () => {
    expect(() => createDiskQueue({ dir: newDir(), maxBytes: 1000, segmentBytes: 1000 })).toThrow(RangeError)
  })
})
