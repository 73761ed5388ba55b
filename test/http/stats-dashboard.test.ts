// Serving the dashboard and the API description (no storage involved): the page with a strict
// Content-Security-Policy, its assets with their types, and readable 404s and 401s.
import { describe, expect, it } from 'vitest'
import { createClient } from '@clickhouse/client'
import { createAppRegistry, randomKey } from '../../src/apps/apps.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'

// A client that is never called: these routes answer before any query.
const client = createClient({ url: 'http://127.0.0.1:9' })
const app = { id: 'a', write_keys: [randomKey('wk')], read_keys: [randomKey('rk')], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 }
const routes = createStatsRoutes({ client, apps: createAppRegistry([app]) })

describe('dashboard files', () => {
  it('serves the page with a CSP that allows only its own origin', async () => {
    const res = await routes.request('/dashboard')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'; script-src 'self'/)
    const html = await res.text()
    for (const asset of ['uplot.js', 'uplot.css', 'charts.js', 'render.js', 'app.js', 'style.css']) expect(html).toContain(`/dashboard/${asset}`)
  })

  it('serves every asset the page links, uPlot from its package', async () => {
    for (const [file, type] of [['app.js', 'javascript'], ['charts.js', 'javascript'], ['render.js', 'javascript'], ['style.css', 'css'], ['uplot.js', 'javascript'], ['uplot.css', 'css']]) {
      const res = await routes.request(`/dashboard/${file}`)
      expect(res.status, file).toBe(200)
      expect(res.headers.get('content-type'), file).toContain(type)
      expect((await res.text()).length, file).toBeGreaterThan(100)
    }
    expect(await (await routes.request('/dashboard/uplot.js')).text()).toContain('uPlot')
  })

  it('answers 404 for files that are not part of the dashboard', async () => {
    expect((await routes.request('/dashboard/..%2Fapps.json')).status).toBe(404)
    expect((await routes.request('/dashboard/routes.ts')).status).toBe(404)
  })

  it('serves the OpenAPI description without a key, but no report', async () => {
    expect((await routes.request('/v1/openapi.json')).status).toBe(200)
    const res = await routes.request('/v1/stats/events')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})
