// PostHog's capture API in Veil's terms: finds the project token in any of the body shapes the
// SDKs send, and maps each event to a Veil wire event (docs/compat.md, "PostHog"). Identify
// calls, person properties and PostHog's own events are dropped and counted here; everything
// else (validation, privacy steps, the app's plan) is the shared pipeline's job.
import type { AppConfig } from '../apps/apps.ts'
import { badRequest } from '../http/errors.ts'
import {
  checkedContext,
  compatEventId,
  countEvent,
  countProp,
  forwardedIp,
  groupParts,
  idOf,
  isPlainObject,
  mapProps,
  newTally,
  pathOf,
  str,
  toEpochMs,
  type PropDrop,
  type Translated,
  type WireContext,
} from './common.ts'
import { cachedVeilName as veilName, screenPath } from './names.ts'

/** Calls that carry person data and nothing else (traits are personal data by definition). */
const TRAIT_EVENTS = new Set(['$identify', '$set', '$set_once', '$create_alias', '$merge_dangerously', '$groupidentify', '$unset'])
/** Top-level or property keys that hold person or group traits. */
const TRAIT_KEYS = new Set(['$set', '$set_once', '$unset', '$group_set', '$anon_distinct_id'])

export interface PostHogBody {
  key: string | undefined
  events: Record<string, unknown>[]
  sentAt: number | undefined
}

/**
 * `{api_key, batch, sent_at}` (posthog-node, /batch/), an array of events (posthog-js), or one
 * event; the token in `api_key`, `token` or an event's `properties.token`.
 */
export function readPostHogBody(json: unknown, query: (k: string) => string | undefined): PostHogBody {
  let events: unknown[]
  let top: Record<string, unknown> = {}
  if (Array.isArray(json)) events = json
  else if (isPlainObject(json)) {
    top = json
    events = Array.isArray(json.batch) ? json.batch : Array.isArray(json.data) ? json.data : [json]
  } else throw badRequest('the body must be a PostHog event, an array of events or {"api_key": ..., "batch": [...]}')
  const objects = events.filter(isPlainObject)
  if (objects.length !== events.length) throw badRequest('every event of the batch must be a JSON object')
  const first = objects[0]
  const firstProps = first && isPlainObject(first.properties) ? first.properties : {}
  const key = str(top.api_key) ?? str(top.token) ?? str(first?.api_key) ?? str(first?.token) ?? str(firstProps.token) ?? str(query('token'))
  // posthog-js puts its send time in `_` (ms); the server SDKs in sent_at.
  const sentAt = toEpochMs(top.sent_at) ?? toEpochMs(query('_'))
  return { key, events: objects, sentAt }
}

/** `$`-properties that Veil has a context field for; all other `$`-properties are dropped. */
function contextOf(p: Record<string, unknown>, browser: boolean): WireContext {
  return checkedContext({
    lang: p.$browser_language ?? p.$locale,
    w: p.$screen_width,
    h: p.$screen_height,
    app_version: p.$app_version,
    // A browser's OS comes from its User-Agent (and reporting one would skip the bot check).
    os: browser ? undefined : p.$os,
    os_version: browser ? undefined : p.$os_version,
  })
}

/** `$groups` is {type: key}; Veil has one org per event: the first group. */
function orgOf(groups: unknown): string | undefined {
  if (!isPlainObject(groups)) return undefined
  for (const v of Object.values(groups)) {
    const id = idOf(v)
    if (id) return id
  }
  return undefined
}

/** Properties read into a Veil field above: not props, and not lost either. */
const USED = new Set([
  'token', 'distinct_id', '$session_id', '$groups', '$browser_language', '$locale', '$screen_width', '$screen_height',
  '$app_version', '$os', '$os_version', '$pathname', '$current_url', '$screen_name', '$ip', '$lib',
])

const skipProp = (k: string): PropDrop | 'used' | undefined =>
  USED.has(k) ? 'used' : TRAIT_KEYS.has(k) ? 'trait' : k.startsWith('$') ? 'dollar' : undefined

/** `idKey`: the compat id key (compatEventId). */
export function translatePostHog(body: PostHogBody, app: AppConfig, now: number, idKey: Buffer): Translated {
  const tally = newTally()
  const items: Parameters<typeof groupParts>[0][number][] = []
  for (const raw of body.events) {
    const p = isPlainObject(raw.properties) ? raw.properties : {}
    const token = str(raw.api_key) ?? str(raw.token) ?? str(p.token)
    if (token !== undefined && token !== body.key) {
      countEvent(tally, 'key_mismatch')
      continue
    }
    const event = typeof raw.event === 'string' ? raw.event : ''
    if (TRAIT_EVENTS.has(event)) {
      countEvent(tally, 'trait')
      continue
    }
    for (const k of Object.keys(raw)) if (TRAIT_KEYS.has(k)) countProp(tally, 'trait')
    let name: string
    const extra: Record<string, string> = {}
    if (event === '$pageview') {
      name = 'page_view'
      const path = pathOf(p.$pathname) ?? pathOf(p.$current_url)
      if (path) extra.path = path
    } else if (event === '$screen') {
      name = 'page_view'
      const path = screenPath(p.$screen_name)
      if (path) extra.path = path
    } else if (event.startsWith('$')) {
      // $autocapture, $pageleave, $web_vitals, $feature_flag_called...: PostHog's own events.
      countEvent(tally, 'internal')
      continue
    } else name = veilName(event)

    const browser = p.$lib === 'web'
    const ts = toEpochMs(raw.timestamp) ?? (typeof raw.offset === 'number' && body.sentAt ? body.sentAt - raw.offset : undefined) ?? body.sentAt ?? now
    const user = idOf(raw.distinct_id) ?? idOf(p.distinct_id)
    const session = idOf(p.$session_id)
    const org = orgOf(p.$groups)
    items.push({
      event: {
        id: compatEventId(idKey, 'posthog', app.id, raw.uuid),
        name,
        ts,
        ...(user && { user_id: user }),
        ...(session && { session_id: session }),
        ...(org && { org_id: org }),
        props: { ...mapProps(p, tally, skipProp), ...extra },
      },
      context: contextOf(p, browser),
      ip: forwardedIp(p.$ip ?? raw.ip, app.trust_client_ip === true),
      // posthog-js says `web`; everything else (posthog-node, -python, curl against the
      // capture API) is a server, whose HTTP library's User-Agent is no bot signal.
      serverSide: !browser,
    })
  }
  return { sentAt: body.sentAt, parts: groupParts(items), tally }
}
