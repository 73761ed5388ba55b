// Apps and their keys, from the JSON file at APPS_FILE. On a first start without one, a demo
// app with random keys is written so that `npm start` needs no set-up.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'

const appSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'app ids are lowercase letters, digits, - and _'),
  name: z.string().min(1).max(200).optional(),
  write_keys: z.array(z.string().regex(/^wk_[A-Za-z0-9_-]{8,}$/, 'write keys look like wk_...')).min(1),
  read_keys: z.array(z.string().regex(/^rk_[A-Za-z0-9_-]{8,}$/, 'read keys look like rk_...')).default([]),
  /** Hours one salt is used before it rotates (PRIVACY.md 4); daily by default. */
  salt_rotation_hours: z.number().int().min(1).max(24 * 7).default(24),
  /** Honour Sec-GPC: 1 (PRIVACY.md 9); switch off only for a documented legal basis. */
  honor_gpc: z.boolean().default(true),
  /** Cells counting fewer distinct users are suppressed in reports (PRIVACY.md 8). */
  k_anonymity: z.number().int().min(2).max(1000).default(5),
  /**
   * Take the client address from PostHog's `$ip` / Segment's `context.ip` (truncated like any
   * address, never stored): for server-side senders that forward their user's address.
   * Off unless set.
   */
  trust_client_ip: z.boolean().optional(),
  /** Overrides RATE_LIMIT_RPS for this app's write keys. */
  rate_limit_rps: z.number().int().min(1).optional(),
})

export const appsFileSchema = z.object({ apps: z.array(appSchema).min(1) })

export type AppConfig = Readonly<z.infer<typeof appSchema>>

export interface AppRegistry {
  readonly apps: readonly AppConfig[]
  get(id: string): AppConfig | undefined
  byWriteKey(key: string): AppConfig | undefined
  /** The apps a read key was issued for; empty for unknown keys. */
  byReadKey(key: string): readonly AppConfig[]
}

export function createAppRegistry(apps: readonly AppConfig[]): AppRegistry {
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
    for (const k of app.read_keys) read.set(k, [...(read.get(k) ?? []), app])
  }
  for (const k of read.keys()) {
    if (write.has(k)) throw new Error('a key cannot be both a read key and a write key')
  }
  return {
    apps,
    get: (id) => byId.get(id),
    byWriteKey: (key) => write.get(key),
    byReadKey: (key) => read.get(key) ?? [],
  }
}

export function parseApps(json: unknown): AppConfig[] {
  const result = appsFileSchema.safeParse(json)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid apps file:\n${lines.join('\n')}`)
  }
  return result.data.apps
}

export function randomKey(prefix: 'wk' | 'rk'): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
}

/**
 * Loads APPS_FILE; without one, writes a demo app (mode 0600) and reports that it did, so the
 * caller can print the new write key.
 */
export function loadAppsFile(path: string): { apps: AppConfig[]; created: boolean } {
  if (existsSync(path)) {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(path, 'utf8'))
    } catch (cause) {
      throw new Error(`apps file ${path} is not valid JSON`, { cause })
    }
    return { apps: parseApps(json), created: false }
  }
  const demo = {
    apps: [{ id: 'demo', name: 'Demo app', write_keys: [randomKey('wk')], read_keys: [randomKey('rk')] }],
  }
  writeFileSync(path, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 })
  return { apps: parseApps(demo), created: true }
}
