// The disk scan of the privacy tests (test/support/disk-scan.ts) reads ClickHouse's compressed
// blocks as the engine does; a value LZ4 stored as a back-reference is still found.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decompressBlocks, lz4Block } from '../support/disk-scan.ts'

/** A block as ClickHouse writes it: 16 bytes of checksum, method, sizes with the 9-byte header, payload. */
function block(method: number, payload: Buffer, size: number): Buffer {
  const header = Buffer.alloc(25)
  createHash('md5').update(payload).digest().copy(header, 0)
  header[16] = method
  header.writeUInt32LE(payload.length + 9, 17)
  header.writeUInt32LE(size, 21)
  return Buffer.concat([header, payload])
}

describe('the disk scan', () => {
  it('decodes LZ4 literals, back-references and long lengths', () => {
    // 'abcd', then 8 bytes copied from 4 back, then 'x'.
    expect(lz4Block(Buffer.from([0x44, 0x61, 0x62, 0x63, 0x64, 0x04, 0x00, 0x10, 0x78]), 13).toString()).toBe('abcdabcdabcdx')
    // 20 literals (15 + 5) and a match of 4 + 15 + 1 = 20 bytes from 20 back.
    const lit = Buffer.from('0123456789abcdefghij')
    const src = Buffer.concat([Buffer.from([0xff, 5]), lit, Buffer.from([20, 0, 1])])
    expect(lz4Block(src, 40).toString()).toBe(lit.toString().repeat(2))
  })

  it('reads a file of compressed blocks, and leaves other files to the raw search', () => {
    const a = block(0x82, Buffer.from([0x44, 0x61, 0x62, 0x63, 0x64, 0x04, 0x00, 0x10, 0x78]), 13)
    const b = block(0x02, Buffer.from('plain'), 5)
    expect(decompressBlocks(Buffer.concat([a, b]))?.toString()).toBe('abcdabcdabcdxplain')
    expect(decompressBlocks(Buffer.from('columns format version: 1\n3 columns:\n'))).toBeUndefined()
    expect(decompressBlocks(a.subarray(0, 30))).toBeUndefined()
  })
})
