// There is no Docker engine here, so this keeps the Dockerfile true by running its own steps
// outside Docker (test/support/dockerfile-steps.ts): a clean copy of the repository (the files
// git knows, no node_modules, no dist) is the build context; each stage's COPY and RUN lines run
// in order with the same npm flags; then the runtime stage's CMD starts the built server, which
// has no embedded engine and must say, in one JSON log line, that it needs CLICKHOUSE_URL.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../support/server.ts'
import { parseDockerfile, runStages, type RunResult } from '../support/dockerfile-steps.ts'

const root = resolve(import.meta.dirname, '../..')
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const runtime = stages.at(-1)!
const work = tempDir('veil-image-')
const roots = Object.fromEntries(stages.map((s) => [s.name, join(work, `stage-${s.name}`)]))
let result: RunResult

/** The build context: what git has (tracked and new files), nothing built or installed. */
function cleanCopy(): string {
  const context = join(work, 'context')
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const f of files) {
    if (!existsSync(join(root, f))) continue
    mkdirSync(dirname(join(context, f)), { recursive: true })
    cpSync(join(root, f), join(context, f))
  }
  return context
}

/** A path of the image as seen from the runtime stage's stand-in root. */
const inImage = (p: string) => (isAbsolute(p) ? join(roots[runtime.name]!, p) : join(roots[runtime.name]!, runtime.workdir, p))

/**
 * The image's ENV, with its absolute paths moved under the stand-in root. In PATH only the
 * folders the image has are moved; the rest is the base image's PATH, this machine's here.
 */
function imageEnv(): Record<string, string> {
  const moved = (v: string) => (v.startsWith('/') ? inImage(v) : v)
  const path = (v: string) => v.split(':').map((p) => (p.startsWith(runtime.workdir) ? inImage(p) : p)).join(':')
  return { PATH: process.env.PATH!, ...Object.fromEntries(Object.entries(runtime.env).map(([k, v]) => [k, k === 'PATH' ? path(v) : moved(v)])) }
}

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const [bin, ...args] = runtime.cmd!
    const child = spawn(bin === 'node' ? process.execPath : bin!, args, { cwd: inImage('.'), env: { ...imageEnv(), PORT: '0', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => (clearTimeout(t), done({ code, stdout, stderr })))
  })
}

beforeAll(async () => {
  // npm ci from the local cache where it can (the registry otherwise), as a build cache would.
  result = await runStages(stages, cleanCopy(), roots, { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' })
}, 600_000)
// The build stage's node_modules is large (it has the embedded engine): never leave it behind.
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('Dockerfile', () => {
  it('builds in a clean copy with its own steps: a full install to build, production dependencies to run', () => {
    const installs = result.ran.filter((c) => c.startsWith('npm ci'))
    expect(installs).toHaveLength(2)
    // The runtime install leaves out dev tools and the embedded engine.
    expect(installs[1]).toMatch(/--omit=dev/)
    expect(installs[1]).toMatch(/--omit=optional/)
    expect(result.ran).toContain('npm run build:sdk')
    const modules = readdirSync(inImage('node_modules'))
    expect(modules).toEqual(expect.arrayContaining(['hono', '@clickhouse', 'prom-client', 'pino']))
    for (const absent of ['chdb', '@chdb', 'typescript', 'esbuild', 'vitest']) expect(modules).not.toContain(absent)
    expect(readdirSync(inImage('dist'))).toEqual(expect.arrayContaining(['main.js', 'cli.js', 'dashboard']))
    expect(existsSync(inImage('sdk/browser/dist/veil.min.js'))).toBe(true)
    expect(existsSync(inImage('sql/0001_events.sql'))).toBe(true)
  })

  it('runs as an unprivileged user that owns its config and data directories', () => {
    expect(runtime.user).toBe('node')
    const owned = result.chowns.filter((c) => c.owner === 'node:node').flatMap((c) => c.paths)
    for (const v of ['APPS_FILE', 'DATA_DIR']) expect(runtime.env[v], v).toBeDefined()
    expect(owned).toContain(dirname(runtime.env.APPS_FILE!))
    expect(owned).toContain(runtime.env.DATA_DIR)
    expect(existsSync(inImage(runtime.env.DATA_DIR!))).toBe(true)
  })

  it('says in one JSON log line that it needs CLICKHOUSE_URL when started without one', async () => {
    const r = await start({})
    expect(r.code).toBe(1)
    const lines = (r.stdout + r.stderr).trim().split('\n')
    expect(lines).toHaveLength(1)
    const entry = JSON.parse(lines[0]!) as { level: number; msg: string }
    expect(entry.level).toBe(60)
    expect(entry.msg).toMatch(/embedded ClickHouse .*not installed: set CLICKHOUSE_URL/)
  })

  it('fails fast with one JSON log line when the ClickHouse server cannot be reached', async () => {
    const r = await start({ CLICKHOUSE_URL: 'http://127.0.0.1:9' })
    expect(r.code).toBe(1)
    const lines = (r.stdout + r.stderr).trim().split('\n')
    expect(lines).toHaveLength(1)
    const entry = JSON.parse(lines[0]!) as { level: number; error: { message: string; code?: string } }
    expect(entry.level).toBe(60)
    expect(entry.error.code).toBe('ECONNREFUSED')
  })

  it('has the CLI on its PATH as `veil`, and the server names that command (VEIL_CLI)', () => {
    expect(runtime.env.VEIL_CLI).toBe('veil')
    // Found through the image's PATH, from any directory, as `docker compose exec veil veil ...` runs it.
    const help = execFileSync('veil', ['--help'], { cwd: work, env: imageEnv(), encoding: 'utf8' })
    expect(help).toMatch(/^usage: veil <command>\n/)
    expect(help).toMatch(/\n {2}plan \.\.\. /)
    expect(execFileSync('veil', ['plan', 'help'], { cwd: work, env: imageEnv(), encoding: 'utf8' })).toMatch(/^usage: veil plan <command>/)
  })

  it('runs the CLI of the image: veil apps against its apps file', () => {
    const out = execFileSync(process.execPath, ['dist/cli.js', 'apps', 'add', 'shop'], {
      cwd: inImage('.'),
      env: { PATH: process.env.PATH!, APPS_FILE: inImage(runtime.env.APPS_FILE!) },
      encoding: 'utf8',
    })
    expect(out).toMatch(/write key: wk_/)
  })
})

