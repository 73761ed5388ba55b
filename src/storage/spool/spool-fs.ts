// The few file operations the spool writes with, behind an interface so that the fault suite
// can inject a disk that fills up, cuts writes short or fails syncs (mounting a small tmpfs
// needs privileges a test rarely has). Reads at replay use node:fs directly.
import { open, statfs } from 'node:fs/promises'

export interface SpoolFile {
  /** Writes at `position`; resolves with the bytes written, which may be fewer than asked. */
  write(buf: Buffer, position: number): Promise<number>
  /** Writes the buffers one after the other from `position` in one call; may write fewer bytes than asked. */
  writev?(bufs: Buffer[], position: number): Promise<number>
  read(buf: Buffer, position: number): Promise<number>
  datasync(): Promise<void>
  truncate(length: number): Promise<void>
  close(): Promise<void>
}

export interface SpoolFs {
  /** 'w' creates (or empties) a file for writing, 'r+' opens one for writing, 'r' for reading. */
  open(path: string, mode: 'w' | 'r+' | 'r'): Promise<SpoolFile>
  /** Bytes an unprivileged process may still write on the filesystem holding `dir`. */
  freeBytes(dir: string): Promise<number>
  /** fsync of a directory, so that a file created (or renamed) in it survives a power loss. */
  syncDir(dir: string): Promise<void>
}

export const nodeSpoolFs: SpoolFs = {
  async open(path, mode) {
    const fh = await open(path, mode === 'w' ? 'w+' : mode)
    return {
      write: async (buf, position) => (await fh.write(buf, 0, buf.length, position)).bytesWritten,
      writev: async (bufs, position) => (await fh.writev(bufs, position)).bytesWritten,
      read: async (buf, position) => (await fh.read(buf, 0, buf.length, position)).bytesRead,
      datasync: () => fh.datasync(),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
    }
  },
  async freeBytes(dir) {
    const s = await statfs(dir)
    return s.bavail * s.bsize
  },
  async syncDir(dir) {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  },
}

/** Writes all of `buf` at `position`, or throws: a write that makes no progress is a failure. */
export async function writeAll(file: SpoolFile, buf: Buffer, position: number): Promise<void> {
  let done = 0
  while (done < buf.length) {
    const n = await file.write(done === 0 ? buf : buf.subarray(done), position + done)
    if (n <= 0) throw Object.assign(new Error(`short write: ${done} of ${buf.length} bytes`), { code: 'ENOSPC' })
    done += n
  }
}

/**
 * Writes all of `parts`, one after the other, at `position`, or throws: one writev where the
 * file has it, then plain writes for whatever a short writev left.
 */
export async function writeAllParts(file: SpoolFile, parts: Buffer[], position: number): Promise<void> {
  let done = 0
  if (file.writev && parts.length > 1) done = Math.max(0, await file.writev(parts, position))
  let at = 0
  for (const p of parts) {
    const from = Math.max(0, done - at)
    if (from < p.length) await writeAll(file, from === 0 ? p : p.subarray(from), position + at + from)
    at += p.length
  }
}
