// Serves the dashboard: a hand-written page, script and stylesheet, and uPlot from
// node_modules. No build step; files are read once at start and kept in memory.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'

const HERE = dirname(fileURLToPath(import.meta.url))
// From source: src/dashboard/public. From the bundle in dist/: dist/dashboard, which the
// production build copies there.
const PUBLIC = [join(HERE, 'public'), join(HERE, 'dashboard')].find((dir) => existsSync(join(dir, 'index.html'))) ?? join(HERE, 'public')
const require = createRequire(import.meta.url)
const UPLOT = dirname(require.resolve('uplot/package.json'))

const ASSETS: Record<string, { file: string; type: string }> = {
  'app.js': { file: join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'explore.js': { file: join(PUBLIC, 'explore.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { file: join(PUBLIC, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  'render.js': { file: join(PUBLIC, 'render.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { file: join(PUBLIC, 'style.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: join(UPLOT, 'dist', 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: join(UPLOT, 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
}

// The page loads nothing from other origins; the read key travels only in fetch headers.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

export function createDashboardRoutes(): Hono {
  const files = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.file), type: a.type }]))
  const page = readFileSync(join(PUBLIC, 'index.html'))
  const app = new Hono()
  app.get('/dashboard', (c) =>
    c.body(page, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache', 'Referrer-Policy': 'no-referrer' }),
  )
  app.get('/dashboard/', (c) => c.redirect('/dashboard'))
  app.get('/dashboard/:file', (c) => {
    const f = files.get(c.req.param('file'))
    if (!f) return c.json({ error: 'no such dashboard file' }, 404)
    return c.body(f.body, 200, { 'Content-Type': f.type, 'Cache-Control': 'public, max-age=300' })
  })
  return app
}
