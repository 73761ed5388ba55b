// `veil relay export DIR` (docs/relay.md "Air-gapped sites"): the pending rows as signed bundles,
// one file per spool range. The spool is opened with an insert that writes and syncs a range's
// bundle before it resolves, so a range leaves the spool only once its file is on disk; a crash
// in between writes the same range, under the same name, again. The relay must be stopped (the
// spool's lock says so otherwise).
import { mkdirSync, openSync, fsyncSync, writeSync, closeSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { spoolDirOf, type Config } from '../config.ts'
import { openSpool } from '../storage/spool/spool.ts'
import type { RowsFormat } from '../storage/rows/rows-format.ts'
import { writeBundle } from './bundle.ts'
import { RELAY_VERSION } from './start-relay.ts'
import { rowsOfRange } from './rows-wire.ts'

function writeSynced(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

export async function exportPending(config: Config, outDir: string, now: () => number = Date.now): Promise<{ files: string[]; rows: number }> {
  if (!config.RELAY_KEY) throw new Error('set RELAY_KEY: bundles are signed with it')
  const key = config.RELAY_KEY
  mkdirSync(outDir, { recursive: true })
  const files: string[] = []
  let rows = 0
  const spool = await openSpool({
    dir: spoolDirOf(config),
    async insert(body: Buffer, _n: number, token: string, _first?: boolean, format: RowsFormat = 'RowBinary') {
      const range = rowsOfRange(body, format)
      const file = join(outDir, `veil-relay-${token.replace(/[^A-Za-z0-9_-]/g, '_')}.bundle`)
      writeSynced(file, writeBundle(RELAY_VERSION, key, range, now()))
      files.push(file)
      rows += range.length
    },
    maxBytes: config.RELAY_SPOOL_MAX_BYTES,
    segmentBytes: Math.min(config.SPOOL_SEGMENT_BYTES, config.RELAY_SPOOL_MAX_BYTES),
    insertRows: config.RELAY_FORWARD_ROWS,
    feedDelayMs: 0,
    minFreeBytes: 0,
    feederRoomBytes: 0,
  })
  try {
    await spool.drain()
  } finally {
    await spool.close(config.SHUTDOWN_TIMEOUT_MS)
  }
  return { files, rows }
}
