import type { Queue } from 'bullmq'
import { createRoute, z } from '@hono/zod-openapi'
import { instanceStore } from '../src/instances/instance-store.ts'
import { schemaHolds } from '../src/instances/schema-holds.ts'
import type { LoadJobData } from '../src/jobs/load-job.ts'
import type { AdminOptions } from './context.ts'
import { errorResponses, notFound } from './errors.ts'
import { actor, json, router, userSecurity } from './router.ts'

/**
 * Schema evolution of an instance (README "Schema changes"): the target tables its rules' policies
 * hold, with why (a message code and its parameters beside the English text), schema drift per
 * table, and an operator's resume, which lets the held batch run again at once.
 */
const base = { tags: ['schema'], security: userSecurity }
const instanceParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) })
const tableParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
  table: z.string().regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'a target table as db.table').openapi({ param: { name: 'table', in: 'path' } }),
})

export const schemaHoldSchema = z.object({
  table: z.string(),
  kind: z.enum(['ddl', 'drift']),
  code: z.string(),
  message: z.string(),
  params: z.record(z.string(), z.string()),
  topic: z.string(),
  partition: z.number(),
  offset: z.string(),
  ddl: z.string().optional(),
  sql: z.string().optional(),
  at: z.string(),
})
export const schemaStatusSchema = z.object({
  name: z.string(),
  held: z.array(schemaHoldSchema),
  /** Rows loaded without columns their target lacks (policy ignore), and those columns, per target table. */
  drift: z.record(z.string(), z.object({ rows: z.number(), columns: z.array(z.string()) })),
})

export function schemaHoldRoutes(opts: AdminOptions, queue: Queue<LoadJobData>) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const holds = schemaHolds(opts.redis, opts.keys)
  const app = router()

  async function requireInstance(name: string) {
    if (!(await store.viewInstance(name))) throw notFound(`instance ${name}`)
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/schema', summary: 'Tables held by their schema change policy, and schema drift per table', request: { params: instanceParam }, responses: { 200: { description: 'schema status', content: json(schemaStatusSchema) }, ...errorResponses(401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      await requireInstance(name)
      const [held, drift] = await Promise.all([holds.held(name), holds.drift(name)])
      return c.json({ name, held, drift }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/instances/{name}/schema/held/{table}/resume', summary: 'Resume a held table: a held DDL counts as done; rows load against the target as it is now (held again if they still carry columns it lacks)', request: { params: tableParam }, responses: { 200: { description: 'resumed', content: json(z.object({ resumed: schemaHoldSchema, jobsWoken: z.number() })) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name, table } = c.req.valid('param')
      await requireInstance(name)
      const resumed = await holds.resume(name, table)
      if (!resumed) throw notFound(`a hold on ${table} in instance ${name}`)
      // The held batch waits out its retry backoff; it need not wait any longer.
      let jobsWoken = 0
      for (const job of await queue.getDelayed()) {
        if (job.data.instance !== name) continue
        await job.promote().then(() => jobsWoken++, () => {})
      }
      opts.log.info({ by: actor(c.get('principal')), instance: name, table, code: resumed.code }, 'schema hold resumed')
      return c.json({ resumed, jobsWoken }, 200)
    },
  )

  return app
}
