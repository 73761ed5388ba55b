// Serves the browser SDK from the Veil server itself, as Plausible does, so one origin serves
// script and endpoint: the script tag build at /veil.min.js
// (`<script src="https://veil.example.com/veil.min.js" data-key=...>`) and the ES module at
// /veil.mjs (`import { init, track } from 'https://veil.example.com/veil.mjs'`).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'

/** sdk/browser/dist of the installation, from src/http or from a dist/ bundle. */
function findDist(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    const dist = join(dir, 'sdk', 'browser', 'dist')
    if (existsSync(join(dist, 'veil.min.js'))) return dist
    dir = dirname(dir)
  }
  return undefined
}

/** `dist`: the folder holding veil.min.js and veil.mjs (a file path to veil.min.js works too). */
export function createSdkScriptRoutes(dist = findDist()): Hono {
  const app = new Hono()
  const folder = dist?.endsWith('.js') ? dirname(dist) : dist
  for (const file of ['veil.min.js', 'veil.mjs']) {
    // Read once: the files are small and change only with a new build.
    const path = folder && join(folder, file)
    const body = path && existsSync(path) ? readFileSync(path) : undefined
    app.get(`/${file}`, (c) => {
      if (!body) return c.json({ error: 'the browser SDK is not built: run npm run build:sdk' }, 404)
      return c.body(body, 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'public, max-age=3600',
        // A module script from another origin is fetched in CORS mode.
        'Access-Control-Allow-Origin': '*',
      })
    })
  }
  return app
}
