// SIGHUP to a server started from a terminal (issue 28): an operator's `kill -HUP` reloads the
// apps file and the server keeps answering; only the terminal closing stops it
// (demo-keys-tty.test.ts). `script` gives the server a pseudo-terminal, as an operator's shell.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-sighup-')
let child: ChildProcess | undefined
let serverPid = 0

/** The process running src/main.ts below `pid` (script starts it in a session of its own). */
function serverBelow(pid: number): number | undefined {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // gone meanwhile
    }
  }
  const below = (p: number): boolean => p === pid || (parents.has(p) && p !== 1 && below(parents.get(p)!))
  // Node itself, not the `sh -c` that script may run it from.
  const isServer = (p: number) => {
    const [bin, ...args] = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
    return bin === process.execPath && args.includes('src/main.ts')
  }
  return [...parents.keys()].find((p) => p !== pid && below(p) && isServer(p))
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
  for (const pid of [serverPid, child?.pid ?? 0].filter((p) => p && alive(p))) process.kill(pid, 'SIGKILL')
})

describe('SIGHUP on a terminal', () => {
  it('reloads the apps file and keeps serving', async () => {
    const env = { PATH: process.env.PATH!, HOME: dir, DATA_DIR: join(dir, 'data'), APPS_FILE: join(dir, 'apps.json'), PORT: '0', TERM: 'dumb' }
    child = spawn('script', ['-qec', `${process.execPath} --import tsx src/main.ts`, '/dev/null'], { cwd: root, env })
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    const until = async (what: RegExp, ms: number) => {
      for (let waited = 0; !what.test(out); waited += 50) {
        if (waited > ms) throw new Error(`no ${what} within ${ms} ms:\n${out}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      return what.exec(out)!
    }
    const [, port] = await until(/Veil listening on http:\/\/localhost:(\d+)/, 30_000)
    serverPid = serverBelow(child.pid!) ?? 0
    expect(serverPid).toBeGreaterThan(0)
    expect(out).not.toMatch(/apps file reloaded/)

    process.kill(serverPid, 'SIGHUP')
    await until(/apps file reloaded/, 10_000)
    expect(alive(serverPid)).toBe(true)
    const health = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(health.status).toBe(200)

    // A second one too: the handler stays, nothing was stopped by the first.
    process.kill(serverPid, 'SIGHUP')
    await until(/apps file reloaded[^]*apps file reloaded/, 10_000)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    expect(out).not.toMatch(/stopping/)
  })
})
