import { createRoute, z } from '@hono/zod-openapi'
import { changeFormats, type ChangeFormat } from '../src/formats/change-format.ts'
import { mappingEnvSchema, mappingRuleSchema } from '../src/instances/config.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import { english, say, type Said } from '../src/messages.ts'
import { previewMapping, type TargetLookup } from '../src/rows/mapping-preview.ts'
import { createSchemaCache } from '../src/starrocks/starrocks-schema.ts'
import type { AdminOptions } from './context.ts'
import { errorResponses, fieldIssue, invalidInput, saidSchema } from './errors.ts'
import { json, router, userSecurity } from './router.ts'

/**
 * The Table Mapping page's preview: paste a canal, Debezium or Maxwell message, see which format it
 * was read as, which rule takes it and the rows a load would send. Rules come from the page (being edited) or a stored environment; the target's
 * columns come from StarRocks through an instance's connection when one is named.
 */
const previewBody = z
  .object({
    message: z.string().min(1, english('field.preview_message_required')).max(256 * 1024),
    key: z.string().max(64 * 1024).optional().describe("the message's Kafka key: Debezium takes key columns from it"),
    format: z.enum(changeFormats).optional().describe('read the message as this format; by default the format it looks like, else the instance\'s, else canal'),
    rules: z.array(mappingRuleSchema.strict()).optional().describe('the rules to try, in order; or name a stored mappingEnv'),
    mappingEnv: z.string().optional(),
    instance: z.string().optional().describe("read the target table's columns from this instance's StarRocks"),
  })
  .strict()

const previewReply = z.object({
  kind: z.enum(['rows', 'skipped']),
  reason: z.string().optional(),
  database: z.string(),
  table: z.string(),
  type: z.string(),
  match: z.object({ ruleIndex: z.number(), targetDatabase: z.string(), targetTable: z.string() }).nullable().optional(),
  rows: z.array(z.record(z.string(), z.unknown())).optional(),
  upserts: z.number().optional(),
  deletes: z.number().optional(),
  ignoredDeletes: z.number().optional(),
  notSynced: z.boolean().optional(),
  refused: z.array(z.object({ column: z.string(), reason: z.string() })).optional(),
  schema: z.enum(['target', 'assumed']).optional(),
  notes: z.array(saidSchema).describe('what to know about this preview: code and params for the console, the English message beside them'),
  format: z.enum(changeFormats),
  detected: z.boolean().describe('true when the format was recognised from the message itself'),
})

const lookupTimeoutMs = 4_000

export function mappingPreviewRoutes(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const app = router()

  app.openapi(
    createRoute({
      tags: ['mapping environments'],
      security: userSecurity,
      method: 'post',
      path: '/api/mapping-envs/preview',
      summary: 'Which format and rule a change message matches and the rows (with __op) that would be sent',
      request: { body: { required: true, content: json(previewBody) } },
      responses: { 200: { description: 'the preview', content: json(previewReply) }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const input = c.req.valid('json')
      const env = await environment(input.rules, input.mappingEnv)
      const notes: Said[] = []
      let lookup: TargetLookup | undefined
      let instanceFormat: { fallback: ChangeFormat; timeZone: string } | undefined
      if (input.instance !== undefined) {
        const stored = await store.getInstance(input.instance)
        if (!stored) throw invalidInput([fieldIssue('instance', 'field.no_instance', { name: input.instance })])
        instanceFormat = { fallback: stored.config.format, timeZone: stored.config.timeZone }
        const { jdbcUrl, userName, passWord } = stored.config
        lookup = async (database, table) => {
          const schemas = createSchemaCache({ jdbcUrl, user: userName, password: passWord })
          try {
            const found = await withTimeout(schemas.table(database, table))
            if (!found) notes.push(say('preview.table_missing', { table: `${database}.${table}` }))
            return found
          } catch (err) {
            notes.push(say('preview.schema_unreachable', { jdbcUrl, table: `${database}.${table}`, detail: (err as Error).message }))
            return null
          } finally {
            await schemas.close().catch(() => undefined)
          }
        }
      } else {
        notes.push(say('preview.no_instance'))
      }
      const result = await previewMapping(env, { message: input.message, key: input.key, format: input.format, ...instanceFormat }, lookup)
      if (result.kind === 'unreadable') throw invalidInput([fieldIssue('message', 'field.message_unreadable', { detail: result.reason })])
      if (result.kind === 'skipped') return c.json({ ...result, notes: [say('preview.skipped', { kind: result.reason })] }, 200)
      return c.json({ ...result, notes }, 200)
    },
  )

  async function environment(rules: unknown[] | undefined, name: string | undefined) {
    if (rules !== undefined) return mappingEnvSchema.parse({ name: 'preview', rules })
    if (name === undefined) throw invalidInput([fieldIssue('rules', 'field.preview_rules_or_env')])
    const env = await store.getMappingEnv(name)
    if (!env) throw invalidInput([fieldIssue('mappingEnv', 'field.no_mapping_env', { name })])
    return env
  }

  return app
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${lookupTimeoutMs / 1000} s`)), lookupTimeoutMs)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
