// Output of the `veil` CLI that is never cut short: writes wait for the stream to drain
// (backpressure), and the process exits only after the last byte left it. Without this, a pipe
// (`veil sql ... | wc -l`) loses whatever was still buffered when process.exit() ran.
import type { Writable } from 'node:stream'

export interface Output {
  /** Resolves once the stream can take more; rejects when the reader went away (EPIPE). */
  write(text: string): Promise<void>
}

export class ReaderGoneError extends Error {
  override name = 'ReaderGoneError'
}

export function createOutput(stream: Writable): Output {
  let gone: Error | undefined
  stream.on('error', (e: NodeJS.ErrnoException) => {
    gone = e.code === 'EPIPE' ? new ReaderGoneError('the reader closed the pipe') : e
  })
  return {
    write(text) {
      if (gone) return Promise.reject(gone)
      if (stream.write(text)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const onDrain = () => (stream.off('error', onError), resolve())
        const onError = () => (stream.off('drain', onDrain), reject(gone))
        stream.once('drain', onDrain)
        stream.once('error', onError)
      })
    },
  }
}

/** Exits with `code` once everything written to stdout and stderr has been handed to the OS. */
export function exitWhenFlushed(code: number): void {
  let pending = 2
  const done = () => {
    if (--pending === 0) process.exit(code)
  }
  // A write's callback runs after every earlier write on that stream was flushed.
  for (const s of [process.stdout, process.stderr]) {
    if (s.destroyed || !s.writable) done()
    else s.write('', done)
  }
}
