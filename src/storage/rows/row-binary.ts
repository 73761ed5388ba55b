// Rows in ClickHouse's RowBinary format (https://clickhouse.com/docs/interfaces/formats/RowBinary),
// written straight from the row arrays by an encoder generated from a column-type list: no
// JSON text, no per-row allocation, and the engine reads it without parsing text. The same
// list walks the bytes back (row boundaries for poison isolation, rows as values for dead
// letters and the event-id lookup).

/** The column types this codec knows: those of the events table (sql/0001, sql/0009). */
export type BinaryType = 'String' | 'UUID' | 'DateTime64(3)' | 'UInt32' | 'UInt16' | 'Map(String, String)' | 'Map(String, Float64)'

export interface RowCodec<Row extends unknown[]> {
  /** The rows as one RowBinary body. */
  encode(rows: readonly Row[]): Buffer
  /** The end offset of the row that starts at `at` (throws a RangeError on a truncated body). */
  skipRow(body: Buffer, at: number): number
  /** The row that starts at `at`, as values of the types above (UUIDs as text, dates as ms). */
  decodeRow(body: Buffer, at: number): { row: Row; end: number }
}

const HEX = '0123456789abcdef'
/** A hex digit's value by char code (0-127), either case; -1 for any other character. */
export const HEX_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX.charCodeAt(i)] = i
  HEX_VALUE[HEX.toUpperCase().charCodeAt(i)] = i
}
/** Positions of the 32 hex digits in 8-4-4-4-12 text. */
const UUID_DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]

// RowBinary is little-endian, as are the machines Veil runs on (x86-64, arm64); checked below.
const F64 = new Float64Array(1)
const F64_BYTES = new Uint8Array(F64.buffer)
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('RowBinary encoding needs a little-endian machine')

class Out {
  buf: Buffer
  at = 0
  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes)
  }
  room(n: number): void {
    if (this.at + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
  varint(n: number): void {
    this.room(10)
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.at++] = n
  }
  utf8(s: string): void {
    const n = Buffer.byteLength(s, 'utf8')
    this.varint(n)
    this.room(n)
    this.at += this.buf.write(s, this.at, 'utf8')
  }
  uuid(s: string): void {
    if (typeof s !== 'string' || s.length !== 36 || s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') throw new RangeError(`not a UUID: ${String(s).slice(0, 40)}`)
    this.room(16)
    // Two little-endian UInt64, high half first: the bytes of each half in reverse.
    for (let half = 0; half < 2; half++) {
      for (let i = 0; i < 8; i++) {
        const d = UUID_DIGITS[half * 16 + i * 2]!
        const hi = HEX_VALUE[s.charCodeAt(d) & 127]!
        const lo = HEX_VALUE[s.charCodeAt(UUID_DIGITS[half * 16 + i * 2 + 1]!) & 127]!
        if (hi < 0 || lo < 0 || s.charCodeAt(d) > 127) throw new RangeError(`not a UUID: ${s}`)
        this.buf[this.at + half * 8 + 7 - i] = (hi << 4) | lo
      }
    }
    this.at += 16
  }
  int64(n: number): void {
    // Two 32-bit halves: exact for every integer a double holds exactly, without a BigInt.
    const hi = Math.floor(n / 4294967296)
    this.u32(Math.trunc(n - hi * 4294967296) >>> 0)
    this.u32(hi >>> 0)
  }
  u32(n: number): void {
    this.room(4)
    const b = this.buf
    const p = this.at
    b[p] = n
    b[p + 1] = n >>> 8
    b[p + 2] = n >>> 16
    b[p + 3] = n >>> 24
    this.at = p + 4
  }
  uint32(n: number): void {
    this.u32(n >>> 0)
  }
  uint16(n: number): void {
    this.room(2)
    this.buf[this.at] = n
    this.buf[this.at + 1] = n >>> 8
    this.at += 2
  }
  float64(n: number): void {
    F64[0] = n
    this.room(8)
    this.buf.set(F64_BYTES, this.at)
    this.at += 8
  }
}

/** Reads an unsigned LEB128 length; throws when the body ends inside it. */
export function readVarint(b: Buffer, at: number): [number, number] {
  let n = 0
  let mul = 1
  for (;;) {
    if (at >= b.length) throw new RangeError('RowBinary body ends inside a length')
    const byte = b[at++]!
    n += (byte & 0x7f) * mul
    if (byte < 0x80) return [n, at]
    mul *= 128
  }
}

function need(b: Buffer, end: number): number {
  if (end > b.length) throw new RangeError('RowBinary body ends inside a row')
  return end
}

function skip(t: BinaryType, b: Buffer, at: number): number {
  switch (t) {
    case 'String': {
      const [n, from] = readVarint(b, at)
      return need(b, from + n)
    }
    case 'UUID':
      return need(b, at + 16)
    case 'DateTime64(3)':
      return need(b, at + 8)
    case 'UInt32':
      return need(b, at + 4)
    case 'UInt16':
      return need(b, at + 2)
    case 'Map(String, String)':
    case 'Map(String, Float64)': {
      let [n, p] = readVarint(b, at)
      for (; n > 0; n--) {
        p = skip('String', b, p)
        p = t === 'Map(String, String)' ? skip('String', b, p) : need(b, p + 8)
      }
      return p
    }
  }
}

export function uuidText(b: Buffer, at: number): string {
  let s = ''
  for (let half = 0; half < 2; half++) for (let i = 7; i >= 0; i--) s += b[at + half * 8 + i]!.toString(16).padStart(2, '0')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

function read(t: BinaryType, b: Buffer, at: number): [unknown, number] {
  const end = skip(t, b, at)
  switch (t) {
    case 'String': {
      const [n, from] = readVarint(b, at)
      return [b.toString('utf8', from, from + n), end]
    }
    case 'UUID':
      return [uuidText(b, at), end]
    case 'DateTime64(3)':
      return [b.readInt32LE(at + 4) * 4294967296 + b.readUInt32LE(at), end]
    case 'UInt32':
      return [b.readUInt32LE(at), end]
    case 'UInt16':
      return [b.readUInt16LE(at), end]
    default: {
      let [n, p] = readVarint(b, at)
      const m: Record<string, unknown> = {}
      for (; n > 0; n--) {
        const [k, q] = read('String', b, p)
        const [v, r] = t === 'Map(String, String)' ? read('String', b, q) : [b.readDoubleLE(q), q + 8]
        m[k as string] = v
        p = r
      }
      return [m, end]
    }
  }
}

/**
 * A row's end, generated like the encoder: the spool walks every fed row (poison isolation, the
 * stored-ids filter), and a loop over types with a switch per value cost about 0.3 us a row.
 * Past the end of the body a read gives undefined, which ends any length (as 0): one check at
 * the end finds a truncated row.
 */
function skipRowOf(types: readonly BinaryType[]): (b: Buffer, at: number) => number {
  // A varint (a length or an entry count) into n.
  const varint = 'c = b[p++]; n = c & 127; for (let m = 128; c >= 128; m *= 128) { c = b[p++]; n += (c & 127) * m }'
  const str = `${varint} p += n`
  const step: Record<BinaryType, string> = {
    String: str,
    UUID: 'p += 16',
    'DateTime64(3)': 'p += 8',
    UInt32: 'p += 4',
    UInt16: 'p += 2',
    'Map(String, String)': `${varint} for (let k = n; k > 0 && p <= b.length; k--) { ${str}; ${str} }`,
    'Map(String, Float64)': `${varint} for (let k = n; k > 0 && p <= b.length; k--) { ${str}; p += 8 }`,
  }
  const body = types.map((t) => `  { ${step[t]} }`).join('\n')
  return new Function('b', 'at', `let p = at; let c = 0; let n = 0\n${body}\nif (p > b.length || Number.isNaN(p)) throw new RangeError('RowBinary body ends inside a row')\nreturn p`) as (b: Buffer, at: number) => number
}

/**
 * The codec of a table whose columns have `types`, in order. The encoder is generated as one
 * function with a statement per column, so V8 sees no loop over types and no per-value dispatch.
 */
export function rowBinaryCodec<Row extends unknown[]>(types: readonly BinaryType[]): RowCodec<Row> {
  // Strings are written by code inlined at each column (and each map's keys and values), not by
  // one shared method: V8 keeps type feedback per site, and a row's strings come in many
  // internal shapes (internalized names, sliced hashes, parsed text, concatenations). Behind one
  // shared `s.charCodeAt` they made that load megamorphic, a stub-cache lookup per character,
  // which tripled the encoder's cost in the server (docs/performance.md, "The encoder").
  let n = 0
  const str = (v: string): string => {
    const s = `s${n++}`
    return `{ const ${s} = ${v}; const len = ${s}.length
      if (len < 128) {
        o.room(1 + len); const buf = o.buf; let p = o.at + 1; let j = 0
        for (; j < len; j++) { const c = ${s}.charCodeAt(j); if (c >= 0x80) break; buf[p++] = c }
        if (j === len) { buf[o.at] = len; o.at = p } else o.utf8(${s})
      } else o.utf8(${s}) }`
  }
  const mapOf = (v: string, float: boolean): string => {
    const m = `m${n++}`
    const k = `k${n++}`
    return `{ const ${m} = ${v}; const keys = Object.keys(${m}); o.varint(keys.length)
      for (let q = 0; q < keys.length; q++) { const ${k} = keys[q]; ${str(k)}
        ${float ? `o.float64(${m}[${k}])` : str(`${m}[${k}]`)} } }`
  }
  const call: Record<BinaryType, (v: string) => string> = {
    String: str,
    UUID: (v) => `o.uuid(${v})`,
    'DateTime64(3)': (v) => `o.int64(${v})`,
    UInt32: (v) => `o.uint32(${v})`,
    UInt16: (v) => `o.uint16(${v})`,
    'Map(String, String)': (v) => mapOf(v, false),
    'Map(String, Float64)': (v) => mapOf(v, true),
  }
  const body = types.map((t, i) => `    ${call[t](`r[${i}]`)}`).join('\n')
  // The generated code only names columns by index: nothing of the rows reaches its text.
  const encodeInto = new Function('o', 'rows', `for (let i = 0; i < rows.length; i++) {\n  const r = rows[i]\n${body}\n}`) as (o: Out, rows: readonly Row[]) => void
  return {
    encode(rows) {
      const o = new Out(Math.max(256, rows.length * 256))
      encodeInto(o, rows)
      return o.buf.subarray(0, o.at)
    },
    skipRow: skipRowOf(types),
    decodeRow(b, at) {
      const row: unknown[] = []
      let p = at
      for (const t of types) {
        const [v, next] = read(t, b, p)
        row.push(v)
        p = next
      }
      return { row: row as Row, end: p }
    },
  }
}
