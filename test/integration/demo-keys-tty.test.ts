// On a terminal, the first start shows the demo app's keys once (the read key exists nowhere
// else: the file keeps its hash). `script` gives the server a pseudo-terminal as stdout, as an
// operator's shell would; closing that terminal stops the server. (With stdout piped, the keys
// stay out: fresh-start.test.ts.)
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAppRegistry, parseApps } from '../../src/apps/apps.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-tty-')
let child: ChildProcess | undefined
let server: number[] = []

/** Every process below `pid` (script starts the server in a session of its own). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)))
  walk(pid)
  return out
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

afterAll(() => {
  for (const pid of [child?.pid ?? 0, ...server].filter((p) => p && alive(p))) process.kill(pid, 'SIGKILL')
})

describe('demo keys on a terminal', () => {
  it('prints the write and the read key once, and both work with the file it wrote', async () => {
    const env = { PATH: process.env.PATH!, HOME: dir, DATA_DIR: join(dir, 'data'), APPS_FILE: join(dir, 'apps.json'), PORT: '0', TERM: 'dumb' }
    child = spawn('script', ['-qec', `${process.execPath} --import tsx src/main.ts`, '/dev/null'], { cwd: root, env })
    let out = ''
    const keys = await new Promise<{ write: string; read: string }>((ready, fail) => {
      const t = setTimeout(() => fail(new Error(`no keys within 30 s:\n${out}`)), 30_000)
      child!.stdout!.on('data', (d) => {
        out += d
        const w = /write key: (wk_[A-Za-z0-9_-]+)/.exec(out)
        const r = /read key: +(rk_[A-Za-z0-9_-]+)/.exec(out)
        if (w && r) {
          clearTimeout(t)
          ready({ write: w[1]!, read: r[1]! })
        }
      })
      child!.on('exit', (code) => fail(new Error(`exited ${code}:\n${out}`)))
    })
    const text = readFileSync(env.APPS_FILE, 'utf8')
    expect(text).not.toContain(keys.read)
    const registry = createAppRegistry(parseApps(JSON.parse(text)))
    expect(registry.byWriteKey(keys.write)?.id).toBe('demo')
    expect(registry.byReadKey(keys.read).map((a) => a.id)).toEqual(['demo'])
  })

  it('stops when the terminal closes (SIGHUP on a terminal), instead of living on without one', async () => {
    server = descendants(child!.pid!)
    expect(server.length).toBeGreaterThan(0)
    child!.kill('SIGKILL')
    for (let i = 0; i < 150 && server.some(alive); i++) await new Promise((r) => setTimeout(r, 100))
    expect(server.filter(alive)).toEqual([])
  })
})
