// The OpenAPI 3.1 description of the reports API, built from the endpoint table and its zod
// schemas (endpoints.ts), so the served description always matches what is validated.
import { z } from 'zod'
import { ENDPOINTS } from './endpoints.ts'
import { NOTES } from './meta.ts'

interface JsonSchemaObject {
  properties?: Record<string, Record<string, unknown>>
  required?: string[]
}

function parametersOf(schema: z.ZodObject) {
  const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchemaObject
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s
    return { name, in: 'query', required: (json.required ?? []).includes(name), description, schema: rest }
  })
}

const errors = {
  400: { description: 'A parameter is invalid; the message names it', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  401: { description: 'No read key, an unknown key, or a write key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  403: { description: 'The read key was not issued for this app', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
}

export function createOpenApi(): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/v1/stats/apps': {
      get: {
        summary: 'The apps this read key may read, with their k and salt period (salt_rotation_hours)',
        security: [{ readKey: [] }],
        responses: { 200: { description: 'The apps' }, 401: errors[401] },
      },
    },
  }
  for (const e of ENDPOINTS) {
    paths[e.path] = {
      get: {
        summary: e.summary,
        description: `${NOTES.users}\n\n${NOTES.suppression}\n\n${NOTES.noise}\n\n${NOTES.time}`,
        security: [{ readKey: [] }],
        parameters: parametersOf(e.schema),
        responses: {
          200: {
            description: 'The report. Every answer has `meta` (app, from, to, interval, k, noise, notes). A suppressed cell has null measures and `suppressed: true`.',
            content: { 'application/json': { schema: { type: 'object', properties: { meta: { $ref: '#/components/schemas/Meta' } } } } },
          },
          ...errors,
        },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Veil reports API',
      version: '1.0.0',
      description: `Aggregates of anonymised product-usage events for product managers. ${NOTES.suppression} ${NOTES.noise} ${NOTES.users}`,
    },
    paths,
    components: {
      securitySchemes: { readKey: { type: 'http', scheme: 'bearer', description: 'A read key of the app (rk_...); write keys cannot read' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
        Meta: {
          type: 'object',
          properties: {
            app: { type: 'string' },
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            interval: { enum: ['day', 'week'] },
            k: { type: 'integer', description: 'Cells with fewer distinct users are suppressed' },
            noise: { type: 'boolean', description: 'The numbers are released with noise (notes.noise); false: exact figures' },
            notes: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    },
  }
}
