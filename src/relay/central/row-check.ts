// The central side's second look at a relay's rows (docs/relay.md "What the central Veil
// checks"): a relay is never trusted blindly. Every field of an events row must have the shape
// the pipeline gives it: hashes hex, open-ended strings sealed as tokens (PRIVACY.md 17),
// declared values from the app's plan, coarse facts from closed shapes. No field can carry an
// IP, a raw id, a User-Agent or free text; a row that could is refused whole, with a reason.
import { z } from 'zod'
import type { AppConfig } from '../../apps/apps.ts'
import type { EventRow } from '../../pipeline/types.ts'
import { planOf } from '../../plan/plans.ts'
import { isToken } from '../../privacy/values/seal.ts'
import { TERM_SEPARATOR } from '../../privacy/values/words.ts'
import { safeAppVersion, safeDeployment, safeLang } from '../../../sdk/core/shapes.ts'
import type { PlanProp } from '../../../sdk/core/plan.ts'

const hash = z.string().regex(/^([0-9a-f]{16})?$/, 'a hash is 16 hex digits or empty')
const millis = z.number().int().min(0)
// UA families and OS names as ua-parser-js and safeOsName give them: a word or two, no slashes,
// so no User-Agent string fits; versions are majors only (put_user_agent, put_context).
const family = z.string().regex(/^([A-Za-z][A-Za-z0-9 ._()-]{0,39})?$/, 'a browser or OS family, not a User-Agent')
const major = z.string().regex(/^\d{0,6}$/, 'a major version')
const short = (max: number) => z.string().max(max)

/** The row's columns in order (sql/0001_events.sql, pipeline/types.ts EventRow). */
const rowShape = z.tuple([
  z.string().min(1).max(64), // app_id
  z.uuid(), // event_id
  z.string().min(1).max(200), // name
  millis, // ts
  millis, // received_at
  hash, hash, hash, // user, session, org
  z.number().int().min(0), // salt_period
  z.record(z.string().max(200), z.string().max(4000)), // props
  z.record(z.string().max(200), z.number().finite()), // metrics
  z.string().regex(/^([A-Z]{2})?$/, 'a country code'),
  z.string().regex(/^[^\d@/:]{0,100}$/, 'a city name'),
  family, major, family, major,
  z.string().regex(/^[a-z]{0,16}$/, 'a device type'),
  short(35), // lang
  z.number().int().min(0).max(100_000), z.number().int().min(0).max(100_000), // screen buckets
  short(40), short(40), // app_version, deployment
  z.enum(['user', 'visitor', 'installation', '']),
])

export type RowCheck = { ok: true; row: EventRow } | { ok: false; reason: string }

/** A path as seal_values stores it: each segment a token, empty, or a router parameter (`:id`). */
const isSealedPath = (v: string) => v.split('/').every((s) => s === '' || isToken(s) || /^:[A-Za-z_]{1,40}$/.test(s))
const isSealedText = (v: string) => v.split(TERM_SEPARATOR).every(isToken)

/** Whether a stored value has the form the pipeline gives a prop of this kind. */
function valueFits(spec: PlanProp | undefined, v: string): boolean {
  if (v === '' || v === 'true' || v === 'false') return spec === undefined || spec.kind !== 'enum' || (spec.values ?? []).includes(v)
  switch (spec?.kind ?? 'token') {
    case 'enum':
      return (spec!.values ?? []).includes(v)
    case 'path':
      return isSealedPath(v)
    case 'text':
      return isSealedText(v)
    case 'token':
      // A relay publishes nothing (its values are never known to k people centrally): tokens only.
      return isToken(v)
    default:
      return false
  }
}

/** Checks one row from relay `relayApps`: its shape, its app, and each value against the app's plan. */
export function checkRelayRow(raw: unknown, appOf: (id: string) => AppConfig | undefined, relayApps: readonly string[]): RowCheck {
  const parsed = rowShape.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { ok: false, reason: `column ${issue.path.join('.')}: ${issue.message}` }
  }
  const row = parsed.data as EventRow
  const [appId, , name, , , , , , , props, metrics, , , , , , , , lang, , , appVersion, deployment] = row
  if (!relayApps.includes(appId)) return { ok: false, reason: `app "${appId}" is not one of this relay's apps` }
  const app = appOf(appId)
  if (!app) return { ok: false, reason: `app "${appId}" is not served here` }
  const plan = planOf(app).plan
  const declared = plan.events[name]
  if (!declared && (plan.mode !== 'open' || !isToken(name))) return { ok: false, reason: 'an event name the plan does not declare, not sealed' }
  for (const key in props) {
    const spec = declared?.props[key]
    if (!spec && (plan.mode !== 'open' || !isToken(key))) return { ok: false, reason: 'a prop key the plan does not declare, not sealed' }
    if (!valueFits(spec, props[key]!)) return { ok: false, reason: `prop ${spec ? key : '(sealed key)'}: a value not in the form its kind is stored in` }
  }
  for (const key in metrics) {
    const spec = declared?.props[key]
    if (!spec && (plan.mode !== 'open' || !isToken(key))) return { ok: false, reason: 'a number key the plan does not declare, not sealed' }
    if (spec && spec.kind !== 'number' && spec.kind !== 'integer') return { ok: false, reason: `prop ${key}: a number where the plan declares ${spec.kind}` }
    const v = metrics[key]!
    if (spec && ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) return { ok: false, reason: `prop ${key}: outside its bounds` }
  }
  // The context's closed shapes (put_context): each stored value is what its shape makes of itself.
  if (lang !== '' && safeLang(lang) !== lang) return { ok: false, reason: 'lang: not a language tag from the ISO lists' }
  if (appVersion !== '' && safeAppVersion(appVersion) !== appVersion) return { ok: false, reason: 'app_version: not a version' }
  if (deployment !== '' && safeDeployment(deployment) !== deployment) return { ok: false, reason: 'deployment: not one of the deployments' }
  return { ok: true, row }
}
