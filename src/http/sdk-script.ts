// Serves the browser SDK (`<script src="https://veil.example.com/veil.min.js" data-key=...>`)
// from the Veil server itself, as Plausible does, so one origin serves script and endpoint.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'

/** sdk/browser/dist of the installation, from src/http or from a dist/ bundle. */
function findScript(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    const file = join(dir, 'sdk', 'browser', 'dist', 'veil.min.js')
    if (existsSync(file)) return file
    dir = dirname(dir)
  }
  return undefined
}

export function createSdkScriptRoutes(file = findScript()): Hono {
  const app = new Hono()
  // Read once: the script is small and changes only with a new build.
  const script = file ? readFileSync(file) : undefined
  app.get('/veil.min.js', (c) => {
    if (!script) return c.json({ error: 'the browser SDK is not built: run npm run build:sdk' }, 404)
    return c.body(script, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=3600',
      'Access-Control-Allow-Origin': '*',
    })
  })
  return app
}
