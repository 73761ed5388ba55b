// JSON Schemas of the apps file and of a plan file, generated from the zod schemas the server
// parses them with (src/apps/apps.ts, src/plan/plan-schema.ts), for editors to complete and
// check them (`"$schema"`). `veil schemas` writes them; schemas/ holds the committed copies.
import { z } from 'zod'
import { appsFileSchema } from '../apps/apps.ts'
import { planSchema } from '../plan/plan-schema.ts'

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown> }

/** The file as written (`io: 'input'`: fields with a default are optional), naming its own schema. */
function fileSchema(schema: z.ZodType, title: string, description: string): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema
  // The files may point at their schema; the server ignores that one field (withoutSchemaRef).
  json.properties = { $schema: { type: 'string', description: 'Where editors find this schema' }, ...json.properties }
  return { ...json, title, description }
}

export function jsonSchemas(): Record<'apps.schema.json' | 'plan.schema.json', JsonSchema> {
  return {
    'apps.schema.json': fileSchema(appsFileSchema, 'Veil apps file', 'APPS_FILE: apps, their keys, settings and tracking plans (README "Apps and keys"). Also checked at start: a key used twice, plan beside plan_file.'),
    'plan.schema.json': fileSchema(planSchema, 'Veil tracking plan', 'A plan_file (README "Tracking plan"). Also checked at start: names and keys by the shape rules, identifier keys only as enum or boolean.'),
  }
}

/** The text of each file: stable, so the committed copies can be compared byte for byte. */
export function jsonSchemaFiles(): [name: string, text: string][] {
  return Object.entries(jsonSchemas()).map(([name, schema]) => [name, JSON.stringify(schema, null, 2) + '\n'])
}
