// seal_values: values known to k people (PRIVACY.md 17). Every open-ended string of the event
// (an open plan's name and keys, token values, each path segment, the words of free text) is
// stored as it is only when k people of one salt period sent it (the published set); otherwise
// as a token under the period's key. Runs after apply_plan, scrub_strings and normalise_path
// (it needs the plan's kinds, scrubbed text and normalised paths) and before to_row.
import type { Props } from '../../../sdk/core/catalog.ts'
import type { PlanEvent } from '../../../sdk/core/plan.ts'
import type { AppConfig } from '../../apps/apps.ts'
import { copyBefore } from '../../plan/compile-plan.ts'
import { planOf } from '../../plan/plans.ts'
import type { ValueSealer } from '../../privacy/values/sealer.ts'
import { TERM_SEPARATOR, termsOf } from '../../privacy/values/words.ts'
import type { SaltedKeys } from './hash-ids.ts'
import type { HashedEvent } from '../types.ts'

/** The fields values are counted in; the stored name and key make them, so the counting view agrees. */
export const fieldOf = {
  name: () => 'name',
  key: (name: string) => `key:${name}`,
  value: (name: string, key: string) => `${name}:${key}`,
  segment: (name: string, key: string) => `${name}:${key}/`,
  word: (name: string, key: string) => `${name}:${key}#`,
} as const

/** A path with each segment stored on its own; `:id` and the router's `:param` segments stay. */
function storePath(path: string, store: (segment: string) => string): string {
  let out = ''
  let from = 0
  while (from <= path.length) {
    let to = path.indexOf('/', from)
    if (to < 0) to = path.length
    const seg = path.slice(from, to)
    out += (from > 0 ? '/' : '') + (seg === '' || seg.charCodeAt(0) === 58 ? seg : store(seg))
    from = to + 1
  }
  return out
}

export function createSealValuesStep(sealer: ValueSealer) {
  return function sealValues(event: HashedEvent, ctx: { req: { app: AppConfig }; keys: SaltedKeys; receivedAt?: number }): HashedEvent {
    const app = ctx.req.app
    const declared: PlanEvent | undefined = planOf(app).plan.events[event.name]
    let key: ReturnType<ValueSealer['periodKey']> | undefined
    const store = (field: string, value: string) => sealer.store((key ??= sealer.periodKey(ctx.keys, app.salt_rotation_hours)), field, value)
    // An open plan's own names are open-ended; the catalog's and the plan's are declared.
    const name = declared ? event.name : store(fieldOf.name(), event.name)
    let props: Props | undefined
    for (const k in event.props) {
      const v = event.props[k]!
      const spec = declared?.props[k]
      const storedKey = spec ? k : store(fieldOf.key(name), k)
      let out: string | number | boolean = v
      if (typeof v === 'string' && v !== '') {
        // Undeclared values of an open plan passed the token shape (apply_plan): tokens too.
        const kind = spec?.kind ?? 'token'
        if (kind === 'token') out = store(fieldOf.value(name, storedKey), v)
        else if (kind === 'path') out = storePath(v, (s) => store(fieldOf.segment(name, storedKey), s))
        else if (kind === 'text') {
          out = termsOf(v).map((t) => store(fieldOf.word(name, storedKey), t)).join(TERM_SEPARATOR)
          // Declared verbatim: the scrubbed text too, in its own table for 30 days (sql/0051).
          // Well-formed first: a lone surrogate would make ClickHouse refuse the whole insert.
          if (spec?.verbatim) sealer.keepVerbatim([app.id, ctx.receivedAt ?? Date.now(), event.name, k, v.toWellFormed()])
        }
      }
      if (props === undefined && (out !== v || storedKey !== k)) props = copyBefore(event.props, k)
      if (props !== undefined) props[storedKey] = out
    }
    if (props === undefined && name === event.name) return event
    return {
      id: event.id, name, ts: event.ts, user_hash: event.user_hash, user_kind: event.user_kind, session_hash: event.session_hash, org_hash: event.org_hash,
      salt_period: event.salt_period, props: props ?? event.props, text: event.text, paths: event.paths,
    }
  }
}
