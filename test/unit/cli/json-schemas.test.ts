// The JSON Schemas in schemas/ are what the zod schemas generate today (regenerate with
// `npm run veil -- schemas`), and the example files that name them load as the server loads an
// apps file: plan_file read, `$schema` ignored, every check of the start passed.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadAppsFile } from '../../../src/apps/apps.ts'
import { jsonSchemaFiles, jsonSchemas } from '../../../src/cli/json-schemas.ts'

const root = resolve(import.meta.dirname, '../../..')

describe('JSON Schemas of the apps and plan files', () => {
  it.each(jsonSchemaFiles())('schemas/%s matches the zod schema it is generated from', (name, text) => {
    expect(readFileSync(join(root, 'schemas', name), 'utf8')).toBe(text)
  })

  it('describe the fields the server reads, and allow "$schema"', () => {
    const { 'apps.schema.json': apps, 'plan.schema.json': plan } = jsonSchemas()
    const app = ((apps.properties!.apps as { items: { properties: Record<string, unknown> } }).items).properties
    expect(Object.keys(app)).toEqual(expect.arrayContaining(['id', 'write_keys', 'read_keys', 'k_anonymity', 'plan', 'plan_file']))
    expect(Object.keys(plan.properties!)).toEqual(['$schema', 'mode', 'events'])
    // A plan is strict: an unknown field is an error in the editor as it is at start.
    expect(plan.additionalProperties).toBe(false)
  })

  it('examples/apps.json and its plan file name the schemas and load as the server loads them', () => {
    const file = join(root, 'examples/apps.json')
    const json = JSON.parse(readFileSync(file, 'utf8')) as { $schema: string }
    const plan = JSON.parse(readFileSync(join(root, 'examples/shop-plan.json'), 'utf8')) as { $schema: string }
    expect(resolve(dirname(file), json.$schema)).toBe(join(root, 'schemas/apps.schema.json'))
    expect(resolve(dirname(file), plan.$schema)).toBe(join(root, 'schemas/plan.schema.json'))
    const { apps } = loadAppsFile(file)
    expect(apps.map((a) => a.id)).toEqual(['shop', 'plant-monitor'])
    expect(Object.keys(apps[0]!.plan!.events)).toEqual(['report_export'])
  })
})
