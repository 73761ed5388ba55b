// There is no Docker engine here, so this keeps the Dockerfile true by running its build and
// start commands outside Docker: the build stage's `npm run build`, then the image's CMD in a
// folder laid out like the image (dist/, sql/, node_modules without the optional chdb).
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')

function runCmd(cwd: string, argv: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env.PATH!, ...env } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => (clearTimeout(t), done({ code, out })))
  })
}

describe('Dockerfile', () => {
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[]

  it('builds with the command of its build stage', () => {
    expect(dockerfile).toMatch(/^RUN npm run build && npm run build:sdk$/m)
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' })
    expect(readdirSync(join(root, 'dist'))).toEqual(expect.arrayContaining(['main.js', 'cli.js', 'dashboard']))
    expect(readdirSync(join(root, 'dist', 'dashboard'))).toContain('index.html')
  })

  it('leaves the embedded engine out of the image and says CLICKHOUSE_URL is needed', async () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev --omit=optional/)
    expect(cmd).toEqual(['node', 'dist/main.js'])
    // The image's /app: dist, sql and node_modules without chdb (what --omit=optional installs).
    const app = tempDir('veil-image-')
    cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true })
    cpSync(join(root, 'sql'), join(app, 'sql'), { recursive: true })
    cpSync(join(root, 'package.json'), join(app, 'package.json'))
    mkdirSync(join(app, 'node_modules'))
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name === 'chdb' || name === '@chdb' || name.startsWith('.')) continue
      symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name))
    }
    const noUrl = await runCmd(app, cmd, { APPS_FILE: join(app, 'apps.json'), PORT: '0' })
    expect(noUrl.code).toBe(1)
    expect(noUrl.out).toMatch(/embedded ClickHouse .*not installed: set CLICKHOUSE_URL/)

    // With a URL it goes for the server: unreachable here, so it must fail fast and say so.
    const badUrl = await runCmd(app, cmd, { APPS_FILE: join(app, 'apps.json'), PORT: '0', CLICKHOUSE_URL: 'http://127.0.0.1:9' })
    expect(badUrl.code).toBe(1)
    expect(badUrl.out).toMatch(/veil: .*(ECONNREFUSED|connect)/i)
  })
})
