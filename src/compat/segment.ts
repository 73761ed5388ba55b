// Segment's HTTP tracking API in Veil's terms (docs/compat.md, "Segment"): the write key from
// Basic auth or the body, the 32 KB per call limit, and each track/page/screen call mapped to a
// Veil wire event. identify, group and alias carry traits only and are dropped and counted.
import type { AppConfig } from '../apps/apps.ts'
import { HttpError, badRequest } from '../http/errors.ts'
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
} from './common.ts'
import { cachedVeilName as veilName, screenPath } from './names.ts'

/** Segment's limits: 32 KB per call, 500 KB per batch request (its HTTP API docs). */
export const SEGMENT_MAX_EVENT_BYTES = 32 * 1024
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024

/** analytics.js's short paths, and the long ones. */
export const SEGMENT_PATHS: Record<string, string> = {
  t: 'track', p: 'page', i: 'identify', g: 'group', a: 'alias', s: 'screen', b: 'batch', m: 'metrics',
  track: 'track', page: 'page', identify: 'identify', group: 'group', alias: 'alias', screen: 'screen', batch: 'batch',
}

const TRAIT_TYPES = new Set(['identify', 'group', 'alias'])
/** Page properties Segment fills in itself: the URL parts are read into `path`, the rest dropped. */
const PAGE_PROPS = new Set(['path', 'referrer', 'search', 'title', 'url', 'name', 'category', 'keywords'])
const BROWSER_LIBRARIES = new Set(['analytics.js', 'analytics-next'])

export interface SegmentBody {
  key: string | undefined
  messages: Record<string, unknown>[]
  sentAt: number | undefined
  /** Whether a call may be over the per-call limit (only if the whole body is). */
  mayBeTooLarge: boolean
}

/** The key of `Authorization: Basic base64(key:)`, as Segment's server libraries send it. */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const user = decoded.split(':')[0]
  return user || undefined
}

/**
 * One call (`/track`, `/t`...) or `{batch: [...]}`; each call's type from the body or the path.
 * `bytes` is the decoded body's size, when known.
 */
export function readSegmentBody(json: unknown, type: string, auth: string | undefined, bytes = Number.POSITIVE_INFINITY): SegmentBody {
  if (!isPlainObject(json)) throw badRequest('the body must be a JSON object: a Segment call or {"batch": [...]}')
  let messages: unknown[]
  if (type === 'batch') {
    if (!Array.isArray(json.batch)) throw badRequest('a batch request needs "batch": [...]')
    messages = json.batch
  } else {
    if (bytes > SEGMENT_MAX_EVENT_BYTES && Buffer.byteLength(JSON.stringify(json)) > SEGMENT_MAX_EVENT_BYTES) {
      throw new HttpError(413, `a call is larger than ${SEGMENT_MAX_EVENT_BYTES} bytes, Segment's limit per call`)
    }
    messages = [{ ...json, type: str(json.type) ?? type }]
  }
  const objects = messages.filter(isPlainObject)
  if (objects.length !== messages.length) throw badRequest('every call of the batch must be a JSON object')
  if (type === 'batch' && isPlainObject(json.context)) {
    // Batch-wide context applies to every call; a call's own fields win.
    const shared = json.context
    for (const m of objects) m.context = { ...shared, ...(isPlainObject(m.context) ? m.context : {}) }
  }
  const key = basicAuthUser(auth) ?? str(json.writeKey) ?? str(objects[0]?.writeKey)
  const sentAt = toEpochMs(json.sentAt) ?? toEpochMs(objects[0]?.sentAt)
  return { key, messages: objects, sentAt, mayBeTooLarge: bytes > SEGMENT_MAX_EVENT_BYTES }
}

const skipPage = (k: string): PropDrop | 'used' | undefined => (k === 'path' ? 'used' : PAGE_PROPS.has(k) ? 'context' : undefined)
const skipNone = (): undefined => undefined

/** `idKey`: the compat id key (compatEventId). */
export function translateSegment(body: SegmentBody, app: AppConfig, now: number, idKey: Buffer): Translated {
  const tally = newTally()
  const items: Parameters<typeof groupParts>[0][number][] = []
  for (const m of body.messages) {
    // Measured as JSON, as Segment does; only when the body itself is over the limit.
    if (body.mayBeTooLarge && Buffer.byteLength(JSON.stringify(m)) > SEGMENT_MAX_EVENT_BYTES) {
      countEvent(tally, 'too_large')
      continue
    }
    const writeKey = str(m.writeKey)
    if (writeKey !== undefined && writeKey !== body.key) {
      countEvent(tally, 'key_mismatch')
      continue
    }
    const ctx = isPlainObject(m.context) ? m.context : {}
    if (isPlainObject(m.traits)) countProp(tally, 'trait', Object.keys(m.traits).length)
    if (isPlainObject(ctx.traits)) countProp(tally, 'trait', Object.keys(ctx.traits).length)
    const type = str(m.type) ?? ''
    if (TRAIT_TYPES.has(type)) {
      countEvent(tally, 'trait')
      continue
    }
    const page = isPlainObject(ctx.page) ? ctx.page : {}
    const props = isPlainObject(m.properties) ? m.properties : {}
    let name: string
    let mapped: Record<string, string | number | boolean>
    if (type === 'track') {
      name = veilName(str(m.event) ?? '')
      mapped = mapProps(props, tally, skipNone)
    } else if (type === 'page') {
      name = 'page_view'
      mapped = mapProps(props, tally, skipPage)
      const path = pathOf(page.path) ?? pathOf(props.path) ?? pathOf(page.url) ?? pathOf(props.url)
      if (path) mapped.path = path
    } else if (type === 'screen') {
      name = 'page_view'
      mapped = mapProps(props, tally, skipPage)
      const path = screenPath(str(m.name) ?? str(props.name))
      if (path) mapped.path = path
    } else {
      countEvent(tally, 'internal')
      continue
    }

    const library = isPlainObject(ctx.library) ? str(ctx.library.name) : undefined
    const browser = typeof ctx.userAgent === 'string' || (library !== undefined && BROWSER_LIBRARIES.has(library))
    const screen = isPlainObject(ctx.screen) ? ctx.screen : {}
    const os = isPlainObject(ctx.os) ? ctx.os : {}
    const user = idOf(m.userId)
    const session = idOf(m.anonymousId)
    const org = idOf(m.groupId) ?? idOf(ctx.groupId)
    items.push({
      event: {
        id: compatEventId(idKey, 'segment', app.id, m.messageId),
        name,
        ts: toEpochMs(m.timestamp) ?? toEpochMs(m.originalTimestamp) ?? body.sentAt ?? now,
        ...(user && { user_id: user }),
        ...(session && { session_id: session }),
        ...(org && { org_id: org }),
        props: mapped,
      },
      context: checkedContext({
        lang: ctx.locale,
        w: screen.width,
        h: screen.height,
        app_version: isPlainObject(ctx.app) ? ctx.app.version : undefined,
        // A browser's OS comes from its User-Agent (and reporting one would skip the bot check).
        os: browser ? undefined : os.name,
        os_version: browser ? undefined : os.version,
      }),
      ip: forwardedIp(ctx.ip, app.trust_client_ip === true),
      // analytics-node and the other server libraries: their HTTP library's User-Agent is no bot signal.
      serverSide: !browser,
    })
  }
  return { sentAt: body.sentAt, parts: groupParts(items), tally }
}
