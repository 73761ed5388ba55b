// `veil plan ...`: an app's tracking plan (README "Tracking plan"), inline in APPS_FILE or in
// its plan_file. Each change is checked as the server's start checks it (src/plan/plan-schema.ts
// through src/apps/apps.ts) and written atomically; a running server picks it up by itself.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { withoutSchemaRef } from '../apps/apps.ts'
import { AppsFileError, cliOption as option, checkAsServer, findApp, parseSettingValue, readAppsJson, writeAppsJson, writeFileAtomic, type RawApp, type RawAppsFile } from './apps-file.ts'
import type { Output } from './output.ts'

export const planUsage = (cli: string) => `usage: ${cli} plan <command>
  show <app> [--json]                      the app's own events and their props
  add-event <app> <name> [--description "..."]
  add-prop <app> <event> <key> --kind <kind> [--required] [--min N --max N [--bucket N]]
           [--values a,b,c] [--max-length N] [--pattern '^...$'] [--description "..."]
           [--dimension | --no-dimension]
                                           kinds: enum token number integer boolean path text
                                           --dimension: explore may break down and filter by it
                                           (enum, boolean, number, integer; the default for them);
                                           --no-dimension: explore never offers it
  remove <app> <event> [<key>]             an event, or one prop of it
`

interface RawProp extends Record<string, unknown> {
  kind: string
}
interface RawPlan extends Record<string, unknown> {
  events?: Record<string, { description?: string; props?: Record<string, RawProp> }>
}

/** Where an app's plan lives: inline in the apps file, or in the file its plan_file names. */
interface PlanPlace {
  file: RawAppsFile
  app: RawApp
  planPath?: string
  plan: RawPlan
}

function locate(appsPath: string, id: string): PlanPlace {
  const file = readAppsJson(appsPath)
  const app = findApp(file, id)
  if (typeof app.plan_file !== 'string') return { file, app, plan: structuredClone((app.plan as RawPlan | undefined) ?? { mode: 'strict', events: {} }) }
  const planPath = resolve(dirname(appsPath), app.plan_file)
  if (!existsSync(planPath)) throw new AppsFileError(`app "${id}" names plan file ${planPath}, which does not exist`)
  try {
    return { file, app, planPath, plan: JSON.parse(readFileSync(planPath, 'utf8')) as RawPlan }
  } catch (e) {
    throw new AppsFileError(`plan file ${planPath} cannot be read as JSON: ${(e as Error).message}`)
  }
}

/** Checks the changed plan within the whole apps file, as the server's start would, then saves it where it lives. */
function save(appsPath: string, place: PlanPlace): void {
  if (place.planPath === undefined) {
    place.app.plan = place.plan
    writeAppsJson(appsPath, place.file)
    return
  }
  const { plan_file: _, ...inline } = place.app
  checkAsServer({ ...place.file, apps: place.file.apps.map((a) => (a === place.app ? { ...inline, plan: withoutSchemaRef(place.plan) } : a)) }, appsPath)
  writeFileAtomic(place.planPath, JSON.stringify(place.plan, null, 2) + '\n', 0o644)
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}

/** A prop from the command line's options; the plan schema judges it on save. */
function propFromArgs(args: string[]): RawProp {
  const kind = option(args, '--kind')
  if (!kind) throw new AppsFileError('give the prop a kind: --kind enum|token|number|integer|boolean|path|text')
  const prop: RawProp = { kind }
  if (flag(args, '--required')) prop.required = true
  const values = option(args, '--values')
  if (values !== undefined) prop.values = values.split(',').map((v) => v.trim()).filter(Boolean)
  for (const [name, key] of [['--min', 'min'], ['--max', 'max'], ['--bucket', 'bucket'], ['--max-length', 'max_length']] as const) {
    const v = option(args, name)
    if (v !== undefined) prop[key] = parseSettingValue('number', v)
  }
  const pattern = option(args, '--pattern')
  if (pattern !== undefined) prop.pattern = pattern
  const description = option(args, '--description')
  if (description !== undefined) prop.description = description
  // Explore's dimensions (docs/reports.md "Explore"): written out either way, so the plan says it;
  // the plan schema refuses `true` on an open-ended kind with the server's own message.
  const dimension = flag(args, '--dimension')
  const notDimension = flag(args, '--no-dimension')
  if (dimension && notDimension) throw new AppsFileError('give --dimension or --no-dimension, not both')
  if (dimension || notDimension) prop.dimension = dimension
  return prop
}

const describeProp = (p: RawProp) =>
  [p.kind, p.values ? (p.values as string[]).join('|') : '', p.min !== undefined ? `min ${p.min}` : '', p.max !== undefined ? `max ${p.max}` : '', p.bucket !== undefined ? `bucket ${p.bucket}` : '',
    p.max_length !== undefined ? `max_length ${p.max_length}` : '', p.pattern ? `pattern ${p.pattern}` : '', p.required ? 'required' : '',
    p.dimension === true ? 'dimension' : p.dimension === false ? 'not a dimension' : '']
    .filter(Boolean)
    .join('  ')

async function show(place: PlanPlace, json: boolean, out: Output, cli: string): Promise<void> {
  if (json) {
    await out.write(JSON.stringify(withoutSchemaRef(place.plan)) + '\n')
    return
  }
  const where = place.planPath ?? 'the apps file'
  await out.write(`app "${place.app.id}": ${String(place.plan.mode ?? 'strict')} plan in ${where}; catalog events are declared by Veil (EVENTS.md)\n`)
  const events = Object.entries(place.plan.events ?? {})
  if (events.length === 0) await out.write(`  no events of its own (add one: ${cli} plan add-event ${place.app.id} <name>)\n`)
  for (const [name, event] of events) {
    await out.write(`  ${name}${event.description ? `  (${event.description})` : ''}\n`)
    for (const [key, prop] of Object.entries(event.props ?? {})) await out.write(`    ${key}  ${describeProp(prop)}\n`)
  }
}

export async function runPlan(appsPath: string, argv: string[], out: Output, cli = 'npm run veil --'): Promise<number> {
  const [command, ...rest] = argv
  const args = [...rest]
  if (command === 'show') {
    const json = flag(args, '--json')
    await show(locate(appsPath, args[0] ?? ''), json, out, cli)
    return 0
  }
  if (command === 'add-event') {
    const description = option(args, '--description')
    const [id, name] = args
    if (!name) throw new AppsFileError('give the event a name: veil plan add-event <app> <name>')
    const place = locate(appsPath, id ?? '')
    const events = (place.plan.events ??= {})
    if (events[name]) throw new AppsFileError(`app "${place.app.id}" already declares "${name}"; see veil plan show ${place.app.id}`)
    events[name] = { ...(description !== undefined ? { description } : {}), props: {} }
    save(appsPath, place)
    await out.write(`app "${place.app.id}": declared event "${name}"\n`)
    return 0
  }
  if (command === 'add-prop') {
    const prop = propFromArgs(args)
    const [id, name, key] = args
    if (!key) throw new AppsFileError('veil plan add-prop <app> <event> <key> --kind <kind>')
    const place = locate(appsPath, id ?? '')
    const event = place.plan.events?.[name!]
    if (!event) throw new AppsFileError(`app "${place.app.id}" declares no event "${name}"; add it first: veil plan add-event ${place.app.id} ${name}`)
    const props = (event.props ??= {})
    if (props[key]) throw new AppsFileError(`event "${name}" already has a prop "${key}"; remove it first: veil plan remove ${place.app.id} ${name} ${key}`)
    props[key] = prop
    save(appsPath, place)
    await out.write(`app "${place.app.id}": event "${name}" has prop "${key}" (${describeProp(prop)})\n`)
    return 0
  }
  if (command === 'remove') {
    const [id, name, key] = args
    const place = locate(appsPath, id ?? '')
    const event = place.plan.events?.[name ?? '']
    if (!event) throw new AppsFileError(`app "${place.app.id}" declares no event "${name ?? ''}"`)
    if (key === undefined) delete place.plan.events![name!]
    else if (!event.props?.[key]) throw new AppsFileError(`event "${name}" has no prop "${key}"`)
    else delete event.props[key]
    save(appsPath, place)
    await out.write(`app "${place.app.id}": removed ${key === undefined ? `event "${name}"` : `prop "${key}" of "${name}"`}\n`)
    return 0
  }
  await out.write(planUsage(cli))
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2
}
