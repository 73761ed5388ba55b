// Runs test/sdk/fixtures/node-app.ts as a real child process and reads its JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from './build-browser.ts'

export interface AppProcess {
  child: ChildProcess
  /** Resolves with the first printed line that satisfies `match`. */
  line<T = Record<string, unknown>>(match: (l: Record<string, unknown>) => boolean): Promise<T>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr(): string
}

export function runApp(mode: string, count: number, env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/sdk/fixtures/node-app.ts'), mode, String(count)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const waiting: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = []
  const seen: Record<string, unknown>[] = []
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let l: Record<string, unknown>
    try {
      l = JSON.parse(text) as Record<string, unknown>
    } catch {
      return
    }
    seen.push(l)
    for (const w of waiting.filter((w) => w.match(l))) {
      waiting.splice(waiting.indexOf(w), 1)
      w.resolve(l)
    }
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    child,
    exit,
    stderr: () => err,
    line<T>(match: (l: Record<string, unknown>) => boolean) {
      const found = seen.find(match)
      if (found) return Promise.resolve(found as T)
      return new Promise<T>((resolve, reject) => {
        waiting.push({ match, resolve: resolve as (l: Record<string, unknown>) => void })
        void exit.then(({ code, signal }) => reject(new Error(`app exited (${code ?? signal}) before the line came; stderr:\n${err}`)))
      })
    },
  }
}
