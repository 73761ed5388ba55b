// A real Veil server in a child process for the fault suite (kill -9, SIGTERM), with load from
// concurrent clients that retry what was not acknowledged, as the SDKs do. Every child is
// killed in afterAll even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { tempDir, testApp, testFeederRoom } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

export class Child {
  readonly dir = tempDir('fault-child-')
  readonly app = testApp('child-app')
  readonly port = 20_000 + Math.floor(Math.random() * 20_000)
  readonly url = `http://127.0.0.1:${this.port}`
  /** /metrics serves per-app series only with a token (docs/operations.md); the child gets this one. */
  readonly metricsToken = 'fault-metrics-token-0123456789'
  proc: ChildProcess | undefined
  /** What the server wrote: its JSON log lines (stdout) and anything on stderr. */
  output = ''

  /** `entry`: the script the process runs (a test's own node with hooks; main.ts by default). */
  constructor(readonly env: Record<string, string>, readonly entry = 'src/main.ts') {
    writeFileSync(join(this.dir, 'apps.json'), JSON.stringify({ apps: [this.app] }))
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    const p = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      env: {
        ...process.env, PORT: String(this.port), HOST: '127.0.0.1', DATA_DIR: join(this.dir, 'clickhouse'), APPS_FILE: join(this.dir, 'apps.json'),
        LOG_LEVEL: 'warn', METRICS_TOKEN: this.metricsToken, ...testFeederRoom({ ...this.env, ...extra }), ...this.env, ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.output = ''
    p.stdout!.on('data', (d: Buffer) => (this.output += d.toString()))
    p.stderr!.on('data', (d: Buffer) => (this.output += d.toString()))
    this.proc = p
    for (let i = 0; i < 900; i++) {
      if (p.exitCode !== null) throw new Error(`server exited with ${p.exitCode}: ${this.output.slice(-2000)}`)
      if (await fetch(this.url + '/healthz').then((r) => r.ok, () => false)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('server did not start')
  }

  /** Sends the signal and resolves with the exit code once the process is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const p = this.proc
    this.proc = undefined
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null
    return new Promise((resolve) => {
      p.once('exit', (code) => resolve(code))
      p.kill(signal)
    })
  }

  /** The server's /metrics text, scraped with its token as Prometheus would. */
  async metrics(): Promise<string> {
    return (await fetch(this.url + '/metrics', { headers: { Authorization: `Bearer ${this.metricsToken}` } })).text()
  }

  send(events: WireEvent[]): Promise<Response> {
    return fetch(this.url + '/v1/batch', post(batch(this.app.write_keys[0]!, events)))
  }

  /** Opened after the server has exited (chDB binds one process per directory). */
  openStore(): Promise<Storage> {
    return openStorage({ DATA_DIR: join(this.dir, 'clickhouse'), CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: 'veil' })
  }
}

/** Batches of `size` events from a few users, so distinct-user counts are exact in the aggregates. */
export const makeBatch = (size: number): WireEvent[] => Array.from({ length: size }, (_, i) => event({ user_id: `user-${i % 9}`, name: i % 4 ? 'login' : 'click' }))

export interface Load {
  acked: Set<string>
  /** Batches sent but never answered 202: a client keeps them and retries. */
  unanswered: WireEvent[][]
  stop(): Promise<void>
}

/**
 * The events a 202 acknowledged: all of the batch but those its answer names as rejected (one
 * bad event is answered in `rejected` and never stored; a 202 does not vouch for it).
 */
async function ackedIn(r: Response, b: WireEvent[], acked: Set<string>): Promise<void> {
  const answer = (await r.json().catch(() => ({}))) as { rejected?: { index: number }[] }
  const rejected = new Set((answer.rejected ?? []).map((x) => x.index))
  b.forEach((e, i) => rejected.has(i) || acked.add(e.id))
}

/** `clients` loops sending batches until stopped; a batch without a 202 is kept for a retry. */
export function load(child: Child, clients: number, size = 20): Load {
  const acked = new Set<string>()
  const unanswered: WireEvent[][] = []
  let stopped = false
  const loop = async () => {
    while (!stopped) {
      const b = makeBatch(size)
      const r = await child.send(b).catch(() => undefined)
      if (r?.status === 202) await ackedIn(r, b, acked)
      else {
        unanswered.push(b)
        if (!r) await new Promise((res) => setTimeout(res, 20))
      }
    }
  }
  const running = Array.from({ length: clients }, loop)
  return {
    acked,
    unanswered,
    async stop() {
      stopped = true
      await Promise.all(running)
    },
  }
}

/** Re-sends kept batches until each is acknowledged (bounded), as an SDK's retry queue does. */
export async function retryAll(child: Child, kept: WireEvent[][], acked: Set<string>): Promise<void> {
  for (const b of kept.splice(0)) {
    for (let i = 0; i < 100; i++) {
      const r = await child.send(b).catch(() => undefined)
      if (r?.status === 202) {
        await ackedIn(r, b, acked)
        break
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  }
}

/** One request on a keep-alive connection; resolves with its status and Connection header. */
export function keepAlivePost(child: Child, agent: Agent, events: WireEvent[]): Promise<{ status: number; connection: string | undefined }> {
  const body = JSON.stringify(batch(child.app.write_keys[0]!, events))
  return new Promise((resolve, reject) => {
    const req = request(child.url + '/v1/batch', { method: 'POST', agent, headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end(body)
  })
}
