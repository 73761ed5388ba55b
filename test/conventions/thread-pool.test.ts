// Every way Veil starts node sizes Node's thread pool (docs/operations.md, "Thread pool"): node
// reads UV_THREADPOOL_SIZE once, before any code of ours runs, so it cannot be set from inside.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const read = (f: string) => readFileSync(join(root, f), 'utf8')
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts

describe('the thread pool', () => {
  it('is 16 threads for npm start and npm run veil, unless the environment says', () => {
    for (const name of ['start', 'veil']) expect(scripts[name]).toMatch(/^node --env-file=node\.env /)
    expect(read('node.env')).toMatch(/^UV_THREADPOOL_SIZE=16$/m)
  })

  it('is 16 threads in the image and for its veil command', () => {
    const runtime = read('Dockerfile').split(/^FROM /m).at(-1)!
    expect(runtime).toMatch(/^\s+UV_THREADPOOL_SIZE=16 \\$/m)
    const veil = read('bin/veil')
    expect(veil.indexOf('export UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-16}"')).toBeGreaterThan(-1)
    expect(veil.indexOf('export UV_THREADPOOL_SIZE')).toBeLessThan(veil.indexOf('exec node'))
  })
})
