// A tracking plan compiled once into a checker per event and prop (the hot path never builds a
// schema per request): it answers which props of an event are kept, which are dropped and why,
// and which values are free text or paths for the steps after it.
import type { Props } from '../../sdk/core/catalog.ts'
import type { PlanProp, TrackingPlan } from '../../sdk/core/plan.ts'
import { isIdentifierKey, isSafeKey, isSafeName, showName, unsafeToken } from '../../sdk/core/shapes.ts'
import { textLimitProblem } from '../../sdk/core/free-text.ts'

/** Why a prop was not stored (counted per key, listed in the answer). */
export type PropDropReason = 'undeclared' | 'invalid_value' | 'identifier'

export interface DroppedProp {
  key: string
  reason: PropDropReason
}

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
// In open plans, integers this long look like phone, card or customer numbers.
const OPEN_MAX_NUMBER = 1e9

function compileProp(p: PlanProp): Check {
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
        // A declared pattern replaces the token shape; it still never takes an address or a long number.
        if (re) return re.test(v) && !v.includes('@') && !/^[\d\s.+()-]{7,}$/.test(v) ? undefined : `must match ${p.pattern}`
        const why = unsafeToken(v)
        return why ? `is not an identifier-free token: it ${why}` : undefined
      }
    }
    case 'number':
    case 'integer':
      return (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number'
        if (p.kind === 'integer' && !Number.isInteger(v)) return 'must be an integer'
        if (p.min !== undefined && v < p.min) return `must be at least ${p.min}`
        if (p.max !== undefined && v > p.max) return `must be at most ${p.max}`
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

interface CompiledProp {
  kind: PlanProp['kind']
  required: boolean
  check: Check
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
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) < OPEN_MAX_NUMBER ? undefined : 'invalid_value'
  return typeof v === 'boolean' ? undefined : 'invalid_value'
}

export interface CompiledPlan {
  readonly plan: TrackingPlan
  apply(name: string, props: Props): PlannedProps | PlanRejection
}

export function compilePlan(plan: TrackingPlan): CompiledPlan {
  const events = new Map<string, CompiledEvent>()
  for (const [name, event] of Object.entries(plan.events)) {
    const props = new Map<string, CompiledProp>()
    for (const [key, p] of Object.entries(event.props)) props.set(key, { kind: p.kind, required: !!p.required, check: compileProp(p) })
    events.set(name, { props, required: [...props].filter(([, p]) => p.required).map(([k]) => k) })
  }
  const open = plan.mode === 'open'
  const noProps: CompiledEvent = { props: new Map(), required: [] }

  return {
    plan,
    apply(name, props) {
      let event = events.get(name)
      if (!event) {
        if (!open) return { reject: 'not_in_plan', message: `event ${quoted(name)} is not in the app's tracking plan; declare it (README "Tracking plan")` }
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
        const v = props[key]
        const spec = event.props.get(key)
        if (!spec) {
          const why = open ? checkOpen(key, v) : 'undeclared'
          if (why) {
            ;(dropped ??= []).push({ key, reason: why })
            kept ??= copyBefore(props, key)
          } else if (kept) kept[key] = v!
          continue
        }
        const problem = spec.check(v)
        if (problem) {
          if (spec.required) return { reject: 'invalid_prop', message: `props.${key} ${problem}` }
          ;(dropped ??= []).push({ key, reason: 'invalid_value' })
          kept ??= copyBefore(props, key)
          continue
        }
        if (kept) kept[key] = v!
        if (spec.kind === 'text') (text ??= []).push(key)
        else if (spec.kind === 'path') (paths ??= []).push(key)
      }
      return { props: kept ?? props, dropped: dropped ?? NONE, text: text ?? NONE, paths: paths ?? NONE }
    },
  }
}

const NONE: never[] = []

/** The props before `key`, in order: the start of a copy once a prop is dropped. */
function copyBefore(props: Props, key: string): Props {
  const out: Props = {}
  for (const k in props) {
    if (k === key) break
    out[k] = props[k]!
  }
  return out
}
const quoted = (name: string) => (isSafeName(name) ? `"${name}"` : showName(name))
