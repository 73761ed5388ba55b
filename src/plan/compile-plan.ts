// A tracking plan compiled once into a checker per event and prop (the hot path never builds a
// schema per request): it answers which props of an event are kept, which are dropped and why,
// and which values are free text or paths for the steps after it. Numbers leave it rounded.
import { isCatalogName, type Props } from '../../sdk/core/catalog.ts'
import type { PlanProp, TrackingPlan } from '../../sdk/core/plan.ts'
import { isIdentifierKey, isSafeKey, isSafeName, showName, unsafeToken } from '../../sdk/core/shapes.ts'
import { textLimitProblem } from '../../sdk/core/free-text.ts'
import { roundNumber } from './round-number.ts'

/** Why a prop was not stored (counted per key, listed in the answer). */
export type PropDropReason = 'undeclared' | 'invalid_value' | 'identifier' | 'out_of_bounds'

/**
 * A dropped prop as it may be shown and counted: a key the plan declares, or UNDECLARED_KEY. A
 * key from the request is never a metric label or an answer's key (PRIVACY.md 19): it could be
 * `anna_schmidt` as well as `theme`.
 */
export interface DroppedProp {
  key: string
  reason: PropDropReason
}

export const UNDECLARED_KEY = '[undeclared]'

export interface PlannedProps {
  props: Props
  dropped: readonly DroppedProp[]
  /** Keys declared `text` (scrubbed) and `path` (normalised) among the kept props. */
  text: readonly string[]
  paths: readonly string[]
}

export type PlanRejection = { reject: 'not_in_plan' | 'invalid_prop'; message: string }

type Check = (v: unknown) => string | undefined

const DEFAULT_TOKEN_LENGTH = 64
const DEFAULT_STRING_LENGTH = 500
/**
 * In open plans an undeclared number is bounded by this (integers this long look like phone,
 * card or customer numbers), and so is a declared one that lacks bounds (the plan check refuses
 * that; the catalog declares its own).
 */
export const OPEN_MAX_NUMBER = 1e9

/** `own`: a catalog prop, whose pattern (the crash fingerprint's hex) is Veil's declaration. */
function compileProp(p: PlanProp, own: boolean): Check {
  switch (p.kind) {
    case 'enum': {
      const values = new Set(p.values ?? [])
      return (v) => (typeof v === 'string' && values.has(v) ? undefined : `must be one of ${[...values].join(', ')}`)
    }
    case 'token': {
      const max = p.max_length ?? DEFAULT_TOKEN_LENGTH
      const re = p.pattern ? new RegExp(p.pattern) : undefined
      return (v) => {
        if (typeof v !== 'string') return 'must be a string'
        if (v.length > max) return `is longer than ${max} characters`
        if (re && !re.test(v)) return `must match ${p.pattern}`
        // The catalog's pattern replaces the token shape; an app's only narrows it (issue 25): a
        // pattern that admits spaces would store a name with a street address otherwise.
        // Even so it never takes an address or a number alone (a phone in a fingerprint).
        if (re && own) return !v.includes('@') && !/^[\d\s.+()-]{7,}$/.test(v) ? undefined : `must match ${p.pattern}`
        const why = unsafeToken(v)
        return why ? `is not an identifier-free token: it ${why}` : undefined
      }
    }
    case 'number':
    case 'integer':
      // Bounds are checked apart (compiledNumber): outside them is `out_of_bounds`, not invalid.
      return (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number'
        if (p.kind === 'integer' && !Number.isInteger(v)) return 'must be an integer'
        return undefined
      }
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean')
    case 'path':
    case 'text': {
      // Measured on the normalised form the steps after this one store (NFKC turns one U+FDFA
      // into 18 characters): characters and UTF-8 bytes (sdk/core/free-text.ts).
      const max = p.max_length ?? DEFAULT_STRING_LENGTH
      return (v) => (typeof v !== 'string' ? 'must be a string' : textLimitProblem(v, max))
    }
  }
}

interface NumberSpec {
  min: number
  max: number
  bucket: number | undefined
}

interface CompiledProp {
  kind: PlanProp['kind']
  required: boolean
  check: Check
  /** `number` and `integer` props: their bounds and step. */
  number: NumberSpec | undefined
}

const OPEN_NUMBER: NumberSpec = { min: -OPEN_MAX_NUMBER, max: OPEN_MAX_NUMBER, bucket: undefined }

function compiledNumber(p: PlanProp): NumberSpec | undefined {
  if (p.kind !== 'number' && p.kind !== 'integer') return undefined
  return { min: p.min ?? OPEN_NUMBER.min, max: p.max ?? OPEN_NUMBER.max, bucket: p.bucket }
}

interface CompiledEvent {
  props: Map<string, CompiledProp>
  required: string[]
}

/** Open plans: an undeclared prop is kept when its key and value have safe shapes. */
function checkOpen(key: string, v: unknown): PropDropReason | undefined {
  if (!isSafeKey(key)) return 'invalid_value'
  if (isIdentifierKey(key)) return 'identifier'
  if (typeof v === 'string') return unsafeToken(v) ? 'invalid_value' : undefined
  if (typeof v === 'number') return !Number.isFinite(v) ? 'invalid_value' : Math.abs(v) < OPEN_MAX_NUMBER ? undefined : 'out_of_bounds'
  return typeof v === 'boolean' ? undefined : 'invalid_value'
}

export interface CompiledPlan {
  readonly plan: TrackingPlan
  apply(name: string, props: Props): PlannedProps | PlanRejection
  /** Whether the plan declares the event, or the key for that event: what may be shown readable. */
  declares(name: string, key?: string): boolean
}

export function compilePlan(plan: TrackingPlan): CompiledPlan {
  const events = new Map<string, CompiledEvent>()
  for (const [name, event] of Object.entries(plan.events)) {
    const props = new Map<string, CompiledProp>()
    const own = isCatalogName(name)
    for (const [key, p] of Object.entries(event.props)) props.set(key, { kind: p.kind, required: !!p.required, check: compileProp(p, own), number: compiledNumber(p) })
    events.set(name, { props, required: [...props].filter(([, p]) => p.required).map(([k]) => k) })
  }
  const open = plan.mode === 'open'
  const noProps: CompiledEvent = { props: new Map(), required: [] }

  return {
    plan,
    apply(name, props) {
      let event = events.get(name)
      if (!event) {
        // The name is not repeated: undeclared, it could name a person (issue 25); the answer's
        // index says which event it was.
        if (!open) return { reject: 'not_in_plan', message: NOT_IN_PLAN }
        if (!isSafeName(name)) return { reject: 'invalid_prop', message: `event name ${showName(name)} has an unsafe shape (digit runs, e-mail, domain or phone)` }
        event = noProps
      }
      for (const key of event.required) {
        if (props[key] === undefined) return { reject: 'invalid_prop', message: `props.${key} is required by the tracking plan` }
      }
      // Objects and arrays only when needed: most events drop nothing, so their props object is
      // kept as it is, and most have no text or path.
      let kept: Props | undefined
      let dropped: DroppedProp[] | undefined
      let text: string[] | undefined
      let paths: string[] | undefined
      for (const key in props) {
        let v = props[key]!
        const spec = event.props.get(key)
        if (!spec) {
          const why = open ? checkOpen(key, v) : 'undeclared'
          if (why) {
            ;(dropped ??= []).push({ key: UNDECLARED_KEY, reason: why })
            kept ??= copyBefore(props, key)
            continue
          }
          if (typeof v === 'number') v = roundNumber(v)
          if (kept) kept[key] = v
          else if (v !== props[key]) (kept = copyBefore(props, key))[key] = v
          continue
        }
        const problem = spec.check(v)
        if (problem) {
          if (spec.required) return { reject: 'invalid_prop', message: `props.${key} ${problem}` }
          ;(dropped ??= []).push({ key, reason: 'invalid_value' })
          kept ??= copyBefore(props, key)
          continue
        }
        const n = spec.number
        if (n !== undefined) {
          const x = v as number
          if (x < n.min || x > n.max) {
            if (spec.required) return { reject: 'invalid_prop', message: `props.${key} must be between ${n.min} and ${n.max}` }
            ;(dropped ??= []).push({ key, reason: 'out_of_bounds' })
            kept ??= copyBefore(props, key)
            continue
          }
          v = roundNumber(x, n.bucket)
          if (!kept && v !== x) kept = copyBefore(props, key)
        }
        if (kept) kept[key] = v
        if (spec.kind === 'text') (text ??= []).push(key)
        else if (spec.kind === 'path') (paths ??= []).push(key)
      }
      return { props: kept ?? props, dropped: dropped ?? NONE, text: text ?? NONE, paths: paths ?? NONE }
    },
    declares(name, key) {
      const event = events.get(name)
      return event !== undefined && (key === undefined || event.props.has(key))
    },
  }
}

const NOT_IN_PLAN = 'this event\'s name is not in the app\'s tracking plan (an undeclared name is not repeated); declare it (README "Tracking plan")'

const NONE: never[] = []

/** The props before `key`, in order: the start of a copy once a prop is dropped or changed (also seal_values). */
export function copyBefore(props: Props, key: string): Props {
  const out: Props = {}
  for (const k in props) {
    if (k === key) break
    out[k] = props[k]!
  }
  return out
}
