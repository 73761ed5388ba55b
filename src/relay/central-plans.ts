// The relay's tracking plans from the central Veil (RELAY_PLANS=central, docs/relay.md "Plans"):
// at start, each app's plan is fetched with the relay key (GET /v1/plan, through HTTPS_PROXY) and
// cached under DATA_DIR, so a relay that starts while the uplink is away uses the last plan it
// got. With neither, the app's plan from the site's own apps file stays.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AppConfig } from '../apps/apps.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import { errorFields } from '../observability/log-error.ts'
import { planSchema, resolvePlan } from '../plan/plan-schema.ts'
import { centralRequest } from './uplink.ts'

type Plan = NonNullable<AppConfig['plan']>

/** The plan in a /v1/plan answer, or undefined when it is not one. */
function planOfAnswer(text: string): Plan | undefined {
  try {
    const { mode, events } = JSON.parse(text) as { mode?: unknown; events?: Record<string, unknown> }
    // The answer lists the catalog's events too; a plan declares only its own (plan-schema.ts).
    const catalog = resolvePlan(undefined).events
    const own = Object.fromEntries(Object.entries(events ?? {}).filter(([name]) => !(name in catalog)))
    const parsed = planSchema.safeParse({ mode, events: own })
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

export async function withCentralPlans(config: Config, apps: readonly AppConfig[], logger: Logger): Promise<AppConfig[]> {
  const dir = join(config.DATA_DIR, 'relay-plans')
  mkdirSync(dir, { recursive: true })
  const url = config.RELAY_CENTRAL_URL
  const key = config.RELAY_KEY
  return Promise.all(apps.map(async (app) => {
    const cache = join(dir, `${app.id}.json`)
    let plan: Plan | undefined
    if (url && key) {
      try {
        const res = await centralRequest({ centralUrl: url, relayKey: key, proxy: config.HTTPS_PROXY, timeoutMs: config.RELAY_FORWARD_TIMEOUT_MS }, `/v1/plan?app=${encodeURIComponent(app.id)}`)
        plan = res.status === 200 ? planOfAnswer(res.text) : undefined
        if (plan) {
          writeFileSync(`${cache}.tmp`, JSON.stringify(plan), { mode: 0o600 })
          renameSync(`${cache}.tmp`, cache)
        } else logger.warn({ app: app.id, status: res.status }, 'the central Veil gave no plan for this app; using the cached or local one')
      } catch (e) {
        logger.warn({ app: app.id, error: errorFields(e) }, 'plan not fetched from the central Veil; using the cached or local one')
      }
    }
    if (!plan && existsSync(cache)) plan = planOfAnswer(readFileSync(cache, 'utf8'))
    return plan ? { ...app, plan, plan_file: undefined } : app
  }))
}
