// The spool's frame format without a disk: header and payload are both checked, a damaged frame
// costs only itself (the scan finds the next one), a torn tail is told apart from damage, and
// frames of the earlier format (no header checksum) are still read.
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { FRAME_HEADER_BYTES, frameHeader, joinPayloads, joinPayloadsSliced, readFrames, readFramesSliced } from '../../../../src/storage/spool/layout.ts'
import { splitRows } from '../../../../src/storage/rows/rows-format.ts'

const frame = (text: string, rows = 1) => {
  const payload = Buffer.from(text)
  return Buffer.concat([frameHeader(payload, rows), payload])
}
const three = () => [frame('["a"]\n'), frame('["b"]\n["c"]\n', 2), frame('["d"]\n')]

describe('readFrames', () => {
  it('reads whole frames in order', () => {
    const scan = readFrames(Buffer.concat(three()))
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['["a"]\n', '["b"]\n["c"]\n', '["d"]\n'])
    expect(scan.frames.map((f) => f.rows)).toEqual([1, 2, 1])
    expect(scan).toMatchObject({ corruptBytes: 0, corruptRows: 0, damaged: false })
  })

  it('skips a frame whose payload fails its check and keeps the frames after it, counting its rows', () => {
    const fs = three()
    fs[1]![FRAME_HEADER_BYTES + 2] ^= 0x01
    const scan = readFrames(Buffer.concat(fs))
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['["a"]\n', '["d"]\n'])
    expect(scan).toMatchObject({ corruptBytes: fs[1]!.length, corruptRows: 2, damaged: true })
  })

  it('finds the next frame after a damaged header (its length cannot be trusted)', () => {
    const fs = three()
    fs[1]![5] ^= 0x40 // the length field
    const scan = readFrames(Buffer.concat(fs))
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['["a"]\n', '["d"]\n'])
    expect(scan.damaged).toBe(true)
    expect(scan.corruptBytes).toBe(fs[1]!.length)
  })

  it('calls a frame the file ends inside a torn tail, not damage', () => {
    const all = Buffer.concat(three())
    const scan = readFrames(all.subarray(0, all.length - 3))
    expect(scan.frames).toHaveLength(2)
    expect(scan).toMatchObject({ damaged: false, corruptBytes: three()[2]!.length - 3 })
    expect(readFrames(all.subarray(0, all.length - three()[2]!.length + 7))).toMatchObject({ damaged: false })
  })

  it('reads frames of the earlier format (VSP1: no header checksum)', () => {
    const payload = Buffer.from('["old"]\n')
    const h = Buffer.alloc(16)
    h.writeUInt32LE(0x56535031, 0)
    h.writeUInt32LE(payload.length, 4)
    h.writeUInt32LE(1, 8)
    h.writeUInt32LE(crc32(payload), 12)
    const scan = readFrames(Buffer.concat([h, payload, frame('["new"]\n')]))
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['["old"]\n', '["new"]\n'])
  })
})

describe('joinPayloads', () => {
  // Payloads of many lengths, with a damaged frame between good ones (a gap the join closes).
  const frames = (n: number, damaged = -1) =>
    Array.from({ length: n }, (_, i) => {
      const f = frame(`["${'x'.repeat((i * 37) % 300)}${i}"]\n`)
      if (i === damaged) f[FRAME_HEADER_BYTES + 1] ^= 0x01
      return f
    })

  it('gives the payloads one after the other, as a copy of each would', () => {
    for (const [n, damaged] of [[1, -1], [2, -1], [7, -1], [7, 3], [7, 0], [200, 150]] as const) {
      const scan = readFrames(Buffer.concat(frames(n, damaged)))
      const expected = Buffer.concat(scan.frames.map((f) => Buffer.from(f.payload)))
      expect(joinPayloads(scan).equals(expected), `${n} frames, damaged ${damaged}`).toBe(true)
    }
    expect(joinPayloads(readFrames(Buffer.alloc(0))).length).toBe(0)
  })

  it('moves them within the scanned buffer, without a second one, and writes nothing outside it', () => {
    // The scanned bytes sit in the middle of a larger buffer, as a small read sits in Buffer's pool.
    const inner = Buffer.concat(frames(5))
    const outer = Buffer.concat([Buffer.alloc(64, 0xaa), inner, Buffer.alloc(64, 0xbb)])
    const source = outer.subarray(64, 64 + inner.length)
    const body = joinPayloads(readFrames(source))
    expect(body.buffer).toBe(outer.buffer)
    expect(body.byteOffset).toBe(source.byteOffset + FRAME_HEADER_BYTES)
    expect(outer.subarray(0, 64).every((b) => b === 0xaa)).toBe(true)
    expect(outer.subarray(64 + inner.length).every((b) => b === 0xbb)).toBe(true)
  })

  it('joins frames that are not views of the scanned buffer, in order, into a new one', () => {
    const two = Buffer.concat([frame('["a"]\n'), frame('["b"]\n')])
    const scan = readFrames(two)
    const copy = Buffer.from(two)
    // Another buffer's frames, or the scan's out of order: the originals stay as they were.
    expect(joinPayloads({ frames: scan.frames, source: copy }).toString()).toBe('["a"]\n["b"]\n')
    expect(joinPayloads({ frames: [scan.frames[1]!, scan.frames[0]!], source: two }).toString()).toBe('["b"]\n["a"]\n')
    expect(two.equals(copy)).toBe(true)
  })
})

describe('the sliced scan and join (what the feeder runs while the node takes requests)', () => {
  /** Many frames, one damaged payload and one damaged header among them, and a torn tail. */
  const spoolBytes = () => {
    const fs = Array.from({ length: 300 }, (_, i) => frame(`["row ${i}"]\n`.repeat(1 + (i % 5)), 1 + (i % 5)))
    fs[40]![FRAME_HEADER_BYTES + 1] ^= 0x01
    fs[170]![5] ^= 0x40
    const all = Buffer.concat(fs)
    return all.subarray(0, all.length - 4)
  }

  it('gives what the scan and join at once give, damage and torn tail included', async () => {
    const once = readFrames(spoolBytes())
    const sliced = await readFramesSliced(spoolBytes(), 0)
    expect(sliced.frames.map((f) => [f.offset, f.end, f.rows, f.format])).toEqual(once.frames.map((f) => [f.offset, f.end, f.rows, f.format]))
    expect({ ...sliced, frames: 0, source: 0 }).toEqual({ ...once, frames: 0, source: 0 })
    expect(once.corruptRows).toBeGreaterThan(0)
    expect((await joinPayloadsSliced(sliced, 0)).equals(joinPayloads(once))).toBe(true)
  })

  it('hands the event loop its turn between slices, and not when a slice has time left', async () => {
    let turns = 0
    const count = () => {
      turns++
      if (turns < 10_000) setImmediate(count)
    }
    setImmediate(count)
    const scan = await readFramesSliced(spoolBytes(), 0)
    await joinPayloadsSliced(scan, 0)
    const sliced = turns
    turns = 10_000 // stops the counter
    expect(sliced).toBeGreaterThan(100)
    turns = 0
    setImmediate(count)
    const whole = await readFramesSliced(spoolBytes(), 60_000)
    await joinPayloadsSliced(whole, 60_000)
    expect(turns).toBe(0)
    turns = 10_000
  })
})

describe('frame formats', () => {
  it('says which format each frame holds: RowBinary (VSP3) and JSON (VSP2, what earlier versions wrote) side by side', () => {
    const bin = Buffer.from([1, 2, 3, 0x0a, 5])
    const json = Buffer.from('["a"]\n')
    const scan = readFrames(Buffer.concat([frameHeader(json, 1), json, frameHeader(bin, 1, 'RowBinary'), bin, frameHeader(json, 1, 'JSONCompactEachRow'), json]))
    expect(scan.frames.map((f) => f.format)).toEqual(['JSONCompactEachRow', 'RowBinary', 'JSONCompactEachRow'])
    expect(scan.frames[1]!.payload).toEqual(bin)
    expect(scan.corruptBytes).toBe(0)
  })

  it('checks a payload written in parts (one writev) as the same bytes in one piece', () => {
    const parts = [Buffer.from('["a"]\n'), Buffer.from('["b"]\n["c"]\n')]
    expect(frameHeader(parts, 3, 'RowBinary')).toEqual(frameHeader(Buffer.concat(parts), 3, 'RowBinary'))
    const scan = readFrames(Buffer.concat([frameHeader(parts, 3, 'RowBinary'), ...parts]))
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['["a"]\n["b"]\n["c"]\n'])
  })

  it('finds the next frame of either format after damage', () => {
    const bin = Buffer.from('binary rows')
    const fs = [frame('["a"]\n'), Buffer.concat([frameHeader(bin, 2, 'RowBinary'), bin]), Buffer.concat([frameHeader(bin, 1, 'RowBinary'), bin])]
    fs[1]![5] ^= 0x40
    const scan = readFrames(Buffer.concat(fs))
    expect(scan.frames.map((f) => [f.format, f.rows])).toEqual([['JSONCompactEachRow', 1], ['RowBinary', 1]])
    expect(scan.corruptBytes).toBe(fs[1]!.length)
  })
})

describe('splitRows', () => {
  it('splits a JSON payload into its lines, newline kept', () => {
    expect(splitRows(Buffer.from('[1]\n[2]\n[3]\n'), 'JSONCompactEachRow').map(String)).toEqual(['[1]\n', '[2]\n', '[3]\n'])
  })
})
