// One source of truth (STYLE.md 11): the SDKs' limits and event types come from
// sdk/core/catalog.ts, and the server's schemas, built from the same file, accept what they allow.
import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { CATALOG, CATALOG_NAMES, LIMITS, type CatalogName, type CatalogProps } from '../../sdk/core/catalog.ts'
import { createEventParser } from '../../src/ingest/batch-schema.ts'
import { verifyAgainstZod } from '../support/verify-fast-path.ts'
import { loadConfig } from '../../src/config.ts'
import { buildBrowserSdk } from './support/build-browser.ts'

/** The server's event parser, its fast path judged against zod on every event. */
const parseEvent = createEventParser(verifyAgainstZod)

/** One event per catalog name, typed with the SDKs' prop types: tsc fails if they drift apart. */
const SAMPLES: { [N in CatalogName]: CatalogProps<N> } = {
  app_start: { version: '4.2.1' },
  app_stop: { uptime_ms: 86_400_000 },
  app_crash: { error_type: 'TypeError', message: 'x is undefined', fingerprint: '0123456789abcdef', fatal: true },
  login: { method: 'sso' },
  logout: { reason: 'timeout' },
  page_view: { path: '/reports/monthly', referrer_path: '/' },
  feedback: { rating: 5, text: 'fast', topic: 'reports' },
  cm_data_import: { records: 120, duration_ms: 900, status: 'ok' },
  report_query: { report: 'monthly_alarms', duration_ms: 1840, rows: 312, status: 'ok' },
  rule_add: { rule_type: 'threshold' },
  rule_change: { rule_type: 'threshold' },
  rule_remove: {},
  label_add: { label_type: 'machine' },
  label_change: {},
  label_remove: { label_type: 'machine' },
}

const wire = (name: string, props: object) => ({ id: crypto.randomUUID(), name, ts: Date.now(), props })

describe('SDK and server agree', () => {
  let out: string
  beforeAll(() => {
    out = buildBrowserSdk()
    return () => rmSync(out, { recursive: true, force: true })
  })

  it('builds the browser script from catalog.ts, carrying its request limits', () => {
    const meta = JSON.parse(readFileSync(join(out, 'veil.min.meta.json'), 'utf8')) as { inputs: Record<string, unknown> }
    expect(Object.keys(meta.inputs)).toContain('sdk/core/catalog.ts')
    const script = readFileSync(join(out, 'veil.min.js'), 'utf8')
    expect(script).toContain(`sdkMaxEventsPerRequest:${LIMITS.sdkMaxEventsPerRequest}`)
    expect(script).toContain(`sdkMaxRequestBytes:${LIMITS.sdkMaxRequestBytes}`)
  })

  it('keeps SDK requests within what the server takes by default', () => {
    const config = loadConfig({})
    expect(LIMITS.sdkMaxEventsPerRequest).toBeLessThanOrEqual(config.MAX_EVENTS_PER_BATCH)
    expect(LIMITS.sdkMaxRequestBytes).toBeLessThanOrEqual(config.MAX_BODY_BYTES)
    // keepalive bodies are limited to 64 KiB in flight (Fetch spec); one request must fit alone.
    expect(LIMITS.sdkMaxRequestBytes).toBeLessThanOrEqual(64 * 1024)
  })

  it('has the server accept every catalog event the SDK types allow', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...CATALOG_NAMES].sort())
    for (const [name, props] of Object.entries(SAMPLES)) expect(parseEvent(wire(name, props)), name).toMatchObject({ ok: true })
  })

  it('has the server reject a catalog event without a prop the SDK types require', () => {
    let required = 0
    for (const [name, specs] of Object.entries(CATALOG)) {
      for (const [key, spec] of Object.entries(specs)) {
        if (!('required' in spec && spec.required)) continue
        required++
        const props: Record<string, unknown> = { ...SAMPLES[name as CatalogName] }
        delete props[key]
        expect(parseEvent(wire(name, props)), `${name} without ${key}`).toMatchObject({ ok: false })
      }
    }
    expect(required).toBeGreaterThan(0)
  })
})
