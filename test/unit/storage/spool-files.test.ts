// The spool's frame format without a disk: header and payload are both checked, a damaged frame
// costs only itself (the scan finds the next one), a torn tail is told apart from damage, and
// frames of the earlier format (no header checksum) are still read.
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { FRAME_HEADER_BYTES, frameHeader, readFrames, rowLines } from '../../../src/storage/spool-files.ts'

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

describe('rowLines', () => {
  it('splits a payload into its JSON lines, newline kept', () => {
    expect(rowLines(Buffer.from('[1]\n[2]\n[3]\n')).map(String)).toEqual(['[1]\n', '[2]\n', '[3]\n'])
  })
})
