// The tracking plan as it is written in the apps file (PRIVACY.md 12), checked at start: every
// name and key has a safe shape, identifier-looking keys are not declared as free values, enum
// values are tokens, numbers have bounds, patterns compile and only narrow the token shape. A bad
// plan stops the start with a message per problem.
import { z } from 'zod'
import { LIMITS, isCatalogName } from '../../sdk/core/catalog.ts'
import { catalogEvents, type PlanEvent, type TrackingPlan } from '../../sdk/core/plan.ts'
import { isIdentifierKey, unsafeShape, unsafeToken } from '../../sdk/core/shapes.ts'
import { foreignCharacters } from './pattern-alphabet.ts'

const propSchema = z
  .object({
    kind: z.enum(['enum', 'token', 'number', 'integer', 'boolean', 'path', 'text']),
    required: z.boolean().optional(),
    values: z.array(z.string()).min(1).max(200).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    bucket: z.number().finite().positive().optional(),
    max_length: z.number().int().min(1).max(LIMITS.maxFeedbackTextLength).optional(),
    pattern: z.string().max(200).optional(),
    verbatim: z.boolean().optional(),
    dimension: z.boolean().optional(),
    description: z.string().max(500).optional(),
  })
  .strict()

const eventSchema = z
  .object({
    description: z.string().max(500).optional(),
    props: z.record(z.string(), propSchema).default({}),
  })
  .strict()

export const planSchema = z
  .object({
    mode: z.enum(['strict', 'open']).default('strict'),
    events: z.record(z.string(), eventSchema).default({}),
  })
  .strict()
  .superRefine((plan, ctx) => {
    for (const [name, event] of Object.entries(plan.events)) {
      const at = (...p: string[]) => ['events', name, ...p]
      if (isCatalogName(name)) {
        ctx.addIssue({ code: 'custom', path: at(), message: `"${name}" is a catalog event; its props are declared by Veil (EVENTS.md)` })
        continue
      }
      if (!LIMITS.customNamePattern.test(name)) {
        ctx.addIssue({ code: 'custom', path: at(), message: 'event names must match ^[a-z][a-z0-9_.]{0,63}$' })
        continue
      }
      const nameShape = unsafeShape(name)
      if (nameShape) ctx.addIssue({ code: 'custom', path: at(), message: `event name ${nameShape}` })
      const keys = Object.keys(event.props)
      if (keys.length > LIMITS.maxPropsPerEvent) ctx.addIssue({ code: 'custom', path: at('props'), message: `an event has at most ${LIMITS.maxPropsPerEvent} props` })
      for (const [key, prop] of Object.entries(event.props)) {
        for (const message of propProblems(key, prop)) ctx.addIssue({ code: 'custom', path: at('props', key), message })
      }
    }
  })

export type PlanInput = z.input<typeof planSchema>

function propProblems(key: string, prop: z.infer<typeof propSchema>): string[] {
  const problems: string[] = []
  if (!LIMITS.propKeyPattern.test(key)) return ['prop keys must match ^[a-z][a-z0-9_]{0,39}$']
  const shape = unsafeShape(key)
  if (shape) problems.push(`prop key ${shape}`)
  // An identifier stored as a value is what the plan is there to prevent (issue 10, kind 3).
  if (isIdentifierKey(key) && prop.kind !== 'enum' && prop.kind !== 'boolean') {
    problems.push(`"${key}" names a person or a record id; it can only be declared as enum or boolean`)
  }
  if (prop.kind === 'enum') {
    if (!prop.values) problems.push('an enum lists its values')
    for (const v of prop.values ?? []) {
      const why = unsafeToken(v)
      if (why) problems.push(`enum value "${v}" ${why}`)
    }
  } else if (prop.values) problems.push('values are for enum props only')
  if (prop.pattern !== undefined) {
    if (prop.kind !== 'token') problems.push('pattern is for token props only')
    else if (!prop.pattern.startsWith('^') || !prop.pattern.endsWith('$')) problems.push('a pattern is anchored: ^...$')
    else {
      try {
        new RegExp(prop.pattern)
        const foreign = foreignCharacters(prop.pattern)
        if (foreign.length > 0) problems.push(`${PATTERN_RULE}; this one admits ${listed(foreign)}`)
      } catch (e) {
        problems.push(`pattern does not compile: ${(e as Error).message}`)
      }
    }
  }
  if (prop.verbatim !== undefined && prop.kind !== 'text') problems.push('verbatim is for text props only')
  // Open-ended kinds are stored sealed until k people sent a value (values.ts): no dimension.
  if (prop.dimension === true && !['enum', 'boolean', 'number', 'integer'].includes(prop.kind)) problems.push('dimension is for enum, boolean, number and integer props')
  const numeric = prop.kind === 'number' || prop.kind === 'integer'
  if ((prop.min !== undefined || prop.max !== undefined || prop.bucket !== undefined) && !numeric) {
    problems.push('min, max and bucket are for number and integer props')
  }
  // Unbounded numbers kept phone, card and customer numbers exactly (issue 25).
  if (numeric && (prop.min === undefined || prop.max === undefined)) problems.push(BOUNDS_RULE)
  if (prop.min !== undefined && prop.max !== undefined && prop.min > prop.max) problems.push('min is above max')
  return problems
}

const PATTERN_RULE =
  'a token pattern can only narrow the token shape (letters, digits, _ . : -); the strict shapes (no digit runs, e-mail, domain or phone shapes) still apply on top of it'
const BOUNDS_RULE =
  'a number declares its bounds: add "min" and "max" (the smallest and largest value it can take, e.g. 0 and 86400000 for a duration in ms); a value outside them is dropped, and values inside are stored with two significant digits unless "bucket" gives a coarser step'

const listed = (items: string[]) => (items.length > 6 ? `${items.slice(0, 6).join(', ')} and ${items.length - 6} more` : items.join(', '))

/** The app's plan with the catalog events added; an app without a plan gets the catalog only. */
export function resolvePlan(input: z.infer<typeof planSchema> | undefined): TrackingPlan {
  const events: Record<string, PlanEvent> = { ...catalogEvents() }
  for (const [name, event] of Object.entries(input?.events ?? {})) events[name] = event as PlanEvent
  return { mode: input?.mode ?? 'strict', events }
}

/** The plan the demo app ships with: the catalog and one custom event (README quickstart). */
export const DEMO_PLAN: PlanInput = {
  mode: 'strict',
  events: {
    report_export: {
      description: 'A report was exported',
      props: {
        format: { kind: 'enum', values: ['csv', 'pdf', 'xlsx'], required: true },
        rows: { kind: 'integer', min: 0, max: 1_000_000_000 },
        report: { kind: 'token' },
      },
    },
  },
}

/** An open plan for development and tests: any safe name and key, values by the strict shapes. */
export const OPEN_PLAN: PlanInput = { mode: 'open', events: {} }

