// Apps and their keys, from the JSON file at APPS_FILE. On a first start without one (a store
// that has never been migrated: first-start.ts), a demo app with random keys is written so that
// `npm start` needs no set-up; at any other time a missing file is an error, never new keys.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { DEMO_PLAN, planSchema } from '../plan/plan-schema.ts'

export const appSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'app ids are lowercase letters, digits, - and _'),
  name: z.string().min(1).max(200).optional(),
  write_keys: z.array(z.string().regex(/^wk_[A-Za-z0-9_-]{8,}$/, 'write keys look like wk_...')).min(1),
  /** Read keys are secrets: stored as `sha256:<hex>` of the key (`veil apps`); clear `rk_...` still accepted. */
  read_keys: z.array(z.string().regex(/^(rk_[A-Za-z0-9_-]{8,}|sha256:[0-9a-f]{64})$/, 'read keys look like rk_... or sha256:<64 hex digits>')).default([]),
  /** Hours one salt is used before it rotates (PRIVACY.md 4); daily by default. */
  salt_rotation_hours: z.number().int().min(1).max(24 * 7).default(24),
  /** Honour Sec-GPC: 1 (PRIVACY.md 9); switch off only for a documented legal basis. */
  honor_gpc: z.boolean().default(true),
  /**
   * `browser` (default): drop requests that look like a browser's and carry a bot User-Agent.
   * Server-side and on-prem senders are never dropped for their HTTP library. `off`: keep all.
   * Optional rather than defaulted so that AppConfig literals elsewhere need not name it.
   */
  bot_filter: z.enum(['browser', 'off']).optional(),
  /** Cells counting fewer distinct users are suppressed in reports (PRIVACY.md 8). */
  k_anonymity: z.number().int().min(2).max(1000).default(5),
  /**
   * Minimum organisations per cell (docs/reports.md): a cell is shown only when its people belong
   * to at least this many organisations (`org_id`), so one customer cannot fill a cell. Off unless
   * set; at most 32, what the aggregates count exactly (sql/0070).
   */
  min_orgs_per_cell: z.number().int().min(2).max(32).optional(),
  /**
   * Take the client address from PostHog's `$ip` / Segment's `context.ip` (truncated like any
   * address, never stored): for server-side senders that forward their user's address.
   * Off unless set.
   */
  trust_client_ip: z.boolean().optional(),
  /** Overrides RATE_LIMIT_RPS for this app's write keys. */
  rate_limit_rps: z.number().int().min(1).optional(),
  /**
   * The app's tracking plan (README "Tracking plan"): its own events besides the catalog. An app
   * without one stores the catalog events only (strict). `plan_file` names a JSON file holding
   * the plan instead, relative to the apps file.
   */
  plan: planSchema.optional(),
  plan_file: z.string().min(1).optional(),
})

/**
 * An on-prem relay (docs/relay.md): a site that anonymises inside its own network and sends
 * only anonymised rows, for the apps listed. Its keys are secrets, stored as `sha256:<hex>`
 * like read keys; a relay key sends rows only, never raw events (and a write key never rows).
 */
export const relaySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'relay ids are lowercase letters, digits, - and _'),
  name: z.string().min(1).max(200).optional(),
  keys: z.array(z.string().regex(/^(rl_[A-Za-z0-9_-]{8,}|sha256:[0-9a-f]{64})$/, 'relay keys look like rl_... or sha256:<64 hex digits>')).min(1),
  apps: z.array(z.string()).min(1),
})

export const appsFileSchema = z.object({ apps: z.array(appSchema).min(1), relays: z.array(relaySchema).default([]) })

export type AppConfig = Readonly<z.infer<typeof appSchema>>
export type RelaySite = Readonly<z.infer<typeof relaySchema>>

export interface AppRegistry {
  readonly apps: readonly AppConfig[]
  get(id: string): AppConfig | undefined
  byWriteKey(key: string): AppConfig | undefined
  /** The apps a read key was issued for; empty for unknown keys. */
  byReadKey(key: string): readonly AppConfig[]
  /** The relay sites of the apps file (docs/relay.md). */
  readonly relays: readonly RelaySite[]
  /** The relay site a relay key belongs to; undefined for any other key. */
  byRelayKey(key: string): RelaySite | undefined
}

/** The stored form of a read key: a digest, so the apps file holds no usable secret. */
export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`
}

/** A read key as listed in the file (clear or hashed) -> its stored form. */
const storedForm = (listed: string) => (listed.startsWith('sha256:') ? listed : hashKey(listed))

export function createAppRegistry(apps: readonly AppConfig[], relays: readonly RelaySite[] = []): AppRegistry {
  const byId = new Map<string, AppConfig>()
  const write = new Map<string, AppConfig>()
  const read = new Map<string, AppConfig[]>()
  for (const app of apps) {
    if (byId.has(app.id)) throw new Error(`app "${app.id}" is listed twice`)
    byId.set(app.id, app)
    for (const k of app.write_keys) {
      if (write.has(k)) throw new Error(`write key of app "${app.id}" is also used by another app`)
      write.set(k, app)
    }
    for (const k of app.read_keys.map(storedForm)) read.set(k, [...(read.get(k) ?? []), app])
  }
  for (const k of write.keys()) {
    if (read.has(hashKey(k))) throw new Error('a key cannot be both a read key and a write key')
  }
  const readDigests = [...read].map(([k, list]) => [Buffer.from(k), list] as const)
  const relayDigests: (readonly [Buffer, RelaySite])[] = []
  for (const relay of relays) {
    if (relays.filter((r) => r.id === relay.id).length > 1) throw new Error(`relay "${relay.id}" is listed twice`)
    for (const id of relay.apps) if (!byId.has(id)) throw new Error(`relay "${relay.id}" names app "${id}", which is not in the apps file`)
    for (const k of relay.keys.map(storedForm)) {
      if (read.has(k) || [...write.keys()].some((w) => hashKey(w) === k)) throw new Error(`a key of relay "${relay.id}" is also an app's key`)
      relayDigests.push([Buffer.from(k), relay])
    }
  }
  return {
    apps,
    relays,
    byRelayKey(key) {
      // As read keys: digest against digest, every stored one, in constant time.
      const digest = Buffer.from(hashKey(key))
      let found: RelaySite | undefined
      for (const [stored, relay] of relayDigests) if (timingSafeEqual(stored, digest)) found = relay
      return found
    },
    get: (id) => byId.get(id),
    byWriteKey: (key) => write.get(key),
    byReadKey(key) {
      // Compared digest to digest, every stored one, in constant time: neither the lookup nor
      // its timing tells anything about a stored key.
      const digest = Buffer.from(hashKey(key))
      let found: readonly AppConfig[] = []
      for (const [stored, list] of readDigests) if (timingSafeEqual(stored, digest)) found = list
      return found
    },
  }
}

export function parseApps(json: unknown): AppConfig[] {
  return parseAppsFile(json).apps
}

/** The apps and the relay sites of an apps file's JSON. */
export function parseAppsFile(json: unknown): { apps: AppConfig[]; relays: RelaySite[] } {
  const result = appsFileSchema.safeParse(json)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid apps file:\n${lines.join('\n')}`)
  }
  return result.data
}

/** Puts the plan of each app's `plan_file` (relative to the apps file) in its `plan`. */
function readPlanFiles(json: unknown, appsPath: string): unknown {
  const apps = (json as { apps?: unknown } | null)?.apps
  if (!Array.isArray(apps)) return json
  return {
    ...(json as object),
    apps: apps.map((app: unknown) => {
      const file = (app as { plan_file?: unknown } | null)?.plan_file
      if (typeof file !== 'string') return app
      if ((app as { plan?: unknown }).plan !== undefined) throw new Error(`apps file ${appsPath}: an app has both plan and plan_file; keep one`)
      const planPath = resolve(dirname(appsPath), file)
      let plan: unknown
      try {
        plan = JSON.parse(readFileSync(planPath, 'utf8')) as unknown
      } catch (cause) {
        throw new Error(`plan file ${planPath} cannot be read as JSON: ${(cause as Error).message}`, { cause })
      }
      return { ...(app as object), plan: withoutSchemaRef(plan) }
    }),
  }
}

/** A plan file may name its JSON Schema (`"$schema"`, for editors: schemas/plan.schema.json); the plan itself has no such field. */
export function withoutSchemaRef(plan: unknown): unknown {
  if (!plan || typeof plan !== 'object' || Array.isArray(plan) || !('$schema' in plan)) return plan
  const { $schema: _, ...rest } = plan as Record<string, unknown>
  return rest
}

/**
 * The apps of an apps file's JSON as the server's start and reload take them: plan files read
 * (relative to `appsPath`), the schema applied, keys checked across apps. Throws the server's
 * message; `veil apps` and `veil plan` refuse with it before they save anything.
 */
export function parseAppsJson(json: unknown, appsPath: string): AppConfig[] {
  const { apps, relays } = parseAppsFile(readPlanFiles(json, appsPath))
  createAppRegistry(apps, relays)
  return apps
}

export function randomKey(prefix: 'wk' | 'rk' | 'rl'): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
}

/**
 * Loads APPS_FILE. Without one it writes a demo app (mode 0600) only when `createDemo` says this
 * is a first start, and reports that it did so the caller can print the new write key; otherwise
 * a missing file throws: new keys in place of lost ones would refuse every sender with 401,
 * which senders never retry (issue 24).
 */
export function loadAppsFile(path: string, opts: { createDemo?: boolean } = {}): { apps: AppConfig[]; relays: RelaySite[]; created: boolean; demoKeys?: { write: string; read: string } } {
  if (existsSync(path) || !opts.createDemo) {
    if (!existsSync(path)) throw new Error(`apps file ${path} is missing (restore it: a demo app with new keys is written only at the first start of an empty store)`)
    let json: unknown
    try {
      json = JSON.parse(readFileSync(path, 'utf8'))
    } catch (cause) {
      throw new Error(`apps file ${path} is not valid JSON`, { cause })
    }
    return { ...parseAppsFile(readPlanFiles(json, path)), created: false }
  }
  const demoKeys = { write: randomKey('wk'), read: randomKey('rk') }
  const demo = {
    apps: [{ id: 'demo', name: 'Demo app', write_keys: [demoKeys.write], read_keys: [hashKey(demoKeys.read)], plan: DEMO_PLAN }],
  }
  writeFileSync(path, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 })
  return { apps: parseApps(demo), relays: [], created: true, demoKeys }
}
