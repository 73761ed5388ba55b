// Child processes under test: the real Veil server (the production bundle, or the sources as
// `npm start` runs them) and the bare ceiling server. Children, so that autocannon does not share their
// event loop and their memory can be read from /proc/<pid>/status.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Child {
  url: string
  pid: number
  /** Resident set now and its peak since start or the last resetPeak(), in bytes (Linux). */
  memory(): { rss: number; hwm: number }
  /** Starts a new peak (clear_refs 5, Linux >= 4.0), so each scenario reports its own. */
  resetPeak(): void
  /** SIGTERM, then waits for the exit; resolves with the time the orderly stop took. */
  stop(): Promise<{ ms: number; code: number | null }>
  stderrTail(): string
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

async function waitReady(url: string, proc: ChildProcess, timeoutMs: number, err: () => string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${err()}`)
    try {
      const r = await fetch(url)
      await r.arrayBuffer()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`server not ready after ${timeoutMs} ms: ${err()}`)
}

async function startChild(args: string[], env: Record<string, string>, readyPath: string): Promise<Child> {
  const port = await freePort()
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let tail = ''
  proc.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4000)
  })
  const url = `http://127.0.0.1:${port}`
  await waitReady(url + readyPath, proc, 120_000, () => tail)
  const pid = proc.pid!
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  return {
    url,
    pid,
    memory: () => ({ rss: statusKb(pid, 'VmRSS'), hwm: statusKb(pid, 'VmHWM') }),
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5')
      } catch {
        // Not Linux, or not allowed: the peak then covers the process's life so far.
      }
    },
    async stop() {
      const t0 = Date.now()
      if (proc.exitCode === null) proc.kill('SIGTERM')
      const code = await exited
      return { ms: Date.now() - t0, code }
    },
    stderrTail: () => tail,
  }
}

/** The bare node:http + JSON.parse server. */
export function startCeiling(): Promise<Child> {
  return startChild(['--import', 'tsx', 'bench/ceiling-server.ts'], {}, '/')
}

/**
 * The real Veil server with the given environment (DATA_DIR, APPS_FILE, ...): the production
 * bundle, built first (`npm run build`, as in the Docker image), or the sources through tsx.
 */
export function startVeilChild(env: Record<string, string>, server: 'dist' | 'tsx', nodeArgs: string[] = []): Promise<Child> {
  if (server === 'tsx') return startChild([...nodeArgs, '--import', 'tsx', 'src/main.ts'], env, '/healthz')
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  execFileSync(process.execPath, ['sdk/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  return startChild([...nodeArgs, 'dist/main.js'], env, '/healthz')
}

/**
 * `veil relay` (src/relay/) with the given environment (DATA_DIR, APPS_FILE, RELAY_CENTRAL_URL,
 * RELAY_KEY, ...), as the same build as the server: dist/cli.js (built by startVeilChild) or tsx.
 */
export function startRelayChild(env: Record<string, string>, server: 'dist' | 'tsx', nodeArgs: string[] = []): Promise<Child> {
  return startChild(server === 'tsx' ? [...nodeArgs, '--import', 'tsx', 'src/cli.ts', 'relay'] : [...nodeArgs, 'dist/cli.js', 'relay'], env, '/healthz')
}
