// `veil plan` and the plan checks of `veil apps set` as processes, the way an operator runs them:
// every file they save must load as the server's start loads it (loadAppsFile), and what the
// server would refuse is refused with the server's own message, leaving the files as they were.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadAppsFile } from '../../src/apps/apps.ts'
import { planOf } from '../../src/plan/plans.ts'
import { fieldsOf } from '../../src/query/explore-fields.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = tempDir('veil-cli-plan-')
const env = { PATH: process.env.PATH!, APPS_FILE: join(dir, 'apps.json'), DATA_DIR: join(dir, 'data') }

function veil(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 }, (e, out, err) => {
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err })
    })
  })
}
/** The plan of `id` as the server compiles it at start. */
const served = (id: string) => planOf(loadAppsFile(env.APPS_FILE).apps.find((a) => a.id === id)!).plan.events
const text = (path: string) => readFileSync(path, 'utf8')

// Each test runs several CLI processes (tsx starts in 1-2 s each, more on a loaded machine).
describe('veil plan on an inline plan', { timeout: 120_000 }, () => {
  it('add-event declares an event the server then plans, written atomically into the apps file', async () => {
    expect((await veil('apps', 'add', 'shop')).code).toBe(0)
    const r = await veil('plan', 'add-event', 'shop', 'report_export', '--description', 'A report was exported')
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(served('shop').report_export).toMatchObject({ description: 'A report was exported', props: {} })
    expect((await veil('plan', 'add-event', 'shop', 'report_export')).err).toMatch(/already declares "report_export"/)
  })

  it('add-prop adds a prop with its kind and bounds, and refuses what the server refuses', async () => {
    expect((await veil('plan', 'add-prop', 'shop', 'report_export', 'format', '--kind', 'enum', '--values', 'csv,pdf,xlsx', '--required')).code).toBe(0)
    expect((await veil('plan', 'add-prop', 'shop', 'report_export', 'rows', '--kind', 'integer', '--min', '0', '--max', '100000')).code).toBe(0)
    expect(served('shop').report_export!.props).toEqual({
      format: { kind: 'enum', values: ['csv', 'pdf', 'xlsx'], required: true },
      rows: { kind: 'integer', min: 0, max: 100000 },
    })
    const before = text(env.APPS_FILE)
    const refused = [
      [['username', '--kind', 'token'], /"username" names a person or a record id/],
      [['size', '--kind', 'token', '--min', '1'], /min, max and bucket are for number and integer props/],
      [['rows_b', '--kind', 'integer', '--min', '5', '--max', '1'], /min is above max/],
      [['count', '--kind', 'integer', '--min', '0'], /a number declares its bounds/],
      [['kind', '--kind', 'token', '--pattern', 'a+'], /a pattern is anchored/],
      [['mood', '--kind', 'feeling'], /apps\.0\.plan\.events\.report_export\.props\.mood\.kind/],
    ] as const
    for (const [args, message] of refused) {
      const r = await veil('plan', 'add-prop', 'shop', 'report_export', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err).toMatch(/^veil plan: not saved: invalid apps file:/)
      expect(r.err).toMatch(message)
    }
    expect((await veil('plan', 'add-prop', 'shop', 'nope', 'a', '--kind', 'token')).err).toMatch(/declares no event "nope"; add it first/)
    expect((await veil('plan', 'add-prop', 'shop', 'report_export', 'rows', '--kind', 'integer')).err).toMatch(/already has a prop "rows"/)
    expect((await veil('plan', 'add-event', 'shop', 'login')).err).toMatch(/"login" is a catalog event/)
    expect(text(env.APPS_FILE)).toBe(before)
  })

  it('show lists the events and props; --json prints the plan as stored', async () => {
    const r = await veil('plan', 'show', 'shop')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/report_export {2}\(A report was exported\)\n {4}format {2}enum {2}csv\|pdf\|xlsx {2}required\n {4}rows {2}integer {2}min 0 {2}max 100000\n/)
    const json = JSON.parse((await veil('plan', 'show', 'shop', '--json')).out) as { events: Record<string, unknown> }
    expect(Object.keys(json.events)).toEqual(['report_export'])
  })

  it('remove drops one prop, then the event', async () => {
    expect((await veil('plan', 'remove', 'shop', 'report_export', 'rows')).code).toBe(0)
    expect(Object.keys(served('shop').report_export!.props)).toEqual(['format'])
    expect((await veil('plan', 'remove', 'shop', 'report_export', 'rows')).err).toMatch(/has no prop "rows"/)
    expect((await veil('plan', 'remove', 'shop', 'report_export')).code).toBe(0)
    expect(served('shop').report_export).toBeUndefined()
  })

  it('add-prop --dimension marks a prop as an explore dimension, --no-dimension keeps it out, and an open-ended kind is refused', async () => {
    expect((await veil('plan', 'add-event', 'shop', 'signup')).code).toBe(0)
    expect((await veil('plan', 'add-prop', 'shop', 'signup', 'plan', '--kind', 'enum', '--values', 'free,pro', '--dimension')).code).toBe(0)
    expect((await veil('plan', 'add-prop', 'shop', 'signup', 'seats', '--kind', 'integer', '--min', '1', '--max', '500', '--no-dimension')).code).toBe(0)
    const props = served('shop').signup!.props
    expect(props.plan).toEqual({ kind: 'enum', values: ['free', 'pro'], dimension: true })
    expect(props.seats).toMatchObject({ kind: 'integer', dimension: false })
    // Explore offers what the plan marks, and not what it keeps out.
    const fields = fieldsOf('signup', served('shop').signup!).map((f) => f.name)
    expect(fields).toContain('props.plan')
    expect(fields).not.toContain('props.seats')
    const before = text(env.APPS_FILE)
    const token = await veil('plan', 'add-prop', 'shop', 'signup', 'campaign', '--kind', 'token', '--dimension')
    expect(token.code).toBe(2)
    expect(token.err).toMatch(/dimension is for enum, boolean, number and integer props/)
    expect((await veil('plan', 'add-prop', 'shop', 'signup', 'trial', '--kind', 'boolean', '--dimension', '--no-dimension')).err).toMatch(/not both/)
    expect(text(env.APPS_FILE)).toBe(before)
    expect((await veil('plan', 'show', 'shop')).out).toMatch(/ {4}plan {2}enum {2}free\|pro {2}dimension\n {4}seats {2}integer {2}min 1 {2}max 500 {2}not a dimension\n/)
    expect((await veil('plan', 'remove', 'shop', 'signup')).code).toBe(0)
  })
})

describe('veil plan on a plan_file, and apps set plan_file', { timeout: 120_000 }, () => {
  const planFile = join(dir, 'shop-plan.json')

  it('apps set refuses a plan_file beside an inline plan, that does not exist or that does not parse, with the server\'s message', async () => {
    writeFileSync(planFile, JSON.stringify({ $schema: '../schemas/plan.schema.json', mode: 'strict', events: { cart_opened: {} } }))
    const before = text(env.APPS_FILE)
    // The app still has its inline plan (no events left) from the commands above.
    const both = await veil('apps', 'set', 'shop', 'plan_file', 'shop-plan.json')
    expect(both.code).toBe(2)
    expect(both.err).toMatch(/an app has both plan and plan_file; keep one/)
    expect(text(env.APPS_FILE)).toBe(before)
    // The start's own refusal of such a file, word for word.
    const refusedAtStart = join(dir, 'both.json')
    const withBoth = JSON.parse(before) as { apps: Record<string, unknown>[] }
    withBoth.apps[0]!.plan_file = 'shop-plan.json'
    writeFileSync(refusedAtStart, JSON.stringify(withBoth))
    expect(() => loadAppsFile(refusedAtStart)).toThrow(`apps file ${refusedAtStart}: an app has both plan and plan_file; keep one`)

    const file = JSON.parse(before) as { apps: Record<string, unknown>[] }
    delete file.apps[0]!.plan
    writeFileSync(env.APPS_FILE, JSON.stringify(file))
    const missing = await veil('apps', 'set', 'shop', 'plan_file', 'nowhere.json')
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/plan file .*nowhere\.json cannot be read as JSON: ENOENT/)
    writeFileSync(join(dir, 'broken-plan.json'), '{"events": {')
    expect((await veil('apps', 'set', 'shop', 'plan_file', 'broken-plan.json')).err).toMatch(/plan file .*broken-plan\.json cannot be read as JSON/)
    expect(JSON.parse(text(env.APPS_FILE)).apps[0].plan_file).toBeUndefined()
  })

  it('apps set plan_file takes a valid file, and plan commands then edit that file', async () => {
    expect((await veil('apps', 'set', 'shop', 'plan_file', 'shop-plan.json')).code).toBe(0)
    expect(Object.keys(served('shop'))).toContain('cart_opened')

    expect((await veil('plan', 'add-prop', 'shop', 'cart_opened', 'items', '--kind', 'integer', '--min', '0', '--max', '500', '--bucket', '10')).code).toBe(0)
    const stored = JSON.parse(text(planFile)) as { $schema?: string; events: Record<string, { props: object }> }
    expect(stored.$schema).toBe('../schemas/plan.schema.json')
    expect(stored.events.cart_opened!.props).toEqual({ items: { kind: 'integer', min: 0, max: 500, bucket: 10 } })
    expect(served('shop').cart_opened!.props).toMatchObject({ items: { kind: 'integer', min: 0, max: 500, bucket: 10 } })
    expect(JSON.parse(text(env.APPS_FILE)).apps[0].plan).toBeUndefined()

    const before = text(planFile)
    expect((await veil('plan', 'add-prop', 'shop', 'cart_opened', 'email', '--kind', 'text')).err).toMatch(/"email" names a person or a record id/)
    expect(text(planFile)).toBe(before)
    expect((await veil('plan', 'show', 'shop')).out).toContain(`plan in ${planFile}`)
  })
})

describe('veil plan-types --out', { timeout: 120_000 }, () => {
  it('writes the TypeScript itself, with nothing but the generated types in it', async () => {
    const out = join(dir, 'veil-plan.ts')
    const r = await veil('plan-types', 'shop', '--out', out)
    expect(r.code).toBe(0)
    expect(r.out).toBe('')
    const ts = text(out)
    expect(ts.split('\n')[0]).toBe('// The tracking plan of app "shop" (strict), generated by Veil: do not edit.')
    expect(ts).toContain('"cart_opened": {')
    expect(ts).toBe((await veil('plan-types', 'shop')).out)
  })
})
