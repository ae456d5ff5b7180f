import { createRoute, z } from '@hono/zod-openapi'
import { instanceActivity, type QuarantineItem } from '../src/instances/instance-activity.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import type { AdminOptions } from './context.ts'
import { errorResponses, errorSchema, notFound } from './errors.ts'
import { quarantineReplayer, replayable } from './quarantine-replay.ts'
import { actor, json, router, userSecurity } from './router.ts'

/**
 * An instance's quarantine (docs/design.md invariant 5): list without payloads, read one with its
 * payload, discard, replay. A deleted instance's quarantine stays readable until it is emptied.
 */
const base = { tags: ['quarantine'], security: userSecurity }
const instanceParam = z.object({ name: z.string() })
const itemParam = z.object({ name: z.string(), id: z.string() })

const itemFields = {
  id: z.string(),
  instance: z.string(),
  topic: z.string(),
  partition: z.number(),
  firstOffset: z.string(),
  lastOffset: z.string(),
  reason: z.string(),
  table: z.string(),
  rows: z.number(),
  /** The column StarRocks named, when the item is one refused row. */
  column: z.string().optional(),
  /** The reason as a message code with its parameters; `reason` is its English text. */
  code: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  details: z.array(z.string()),
  label: z.string().optional(),
  at: z.string(),
  /** Whether POST …/replay can load it again (rows, or source messages whose target was missing). */
  replayable: z.boolean(),
}
const itemSummarySchema = z.object({ ...itemFields, payloadBytes: z.number() })
const itemSchema = z.object({ ...itemFields, payload: z.string() })
const replaySchema = z.object({
  replayed: z.string(),
  label: z.string(),
  status: z.string(),
  loadedRows: z.number(),
  /** StarRocks' transaction, when the item's rows went in one load; null for replayed messages. */
  txnId: z.number().nullable(),
  loadTimeMs: z.number(),
})

function summary({ payload, ...item }: QuarantineItem) {
  return { ...item, replayable: replayable({ payload, ...item }), payloadBytes: Buffer.byteLength(payload) }
}

export function quarantineRoutes(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const activity = instanceActivity(opts.redis, opts.keys)
  const replay = quarantineReplayer(opts)
  const app = router()

  async function requireInstance(name: string) {
    if (!(await store.viewInstance(name)) && (await activity.quarantineSize(name)) === 0) throw notFound(`instance ${name}`)
  }

  async function findItem(name: string, id: string) {
    await requireInstance(name)
    const item = await activity.quarantinedItem(name, id)
    if (!item) throw notFound(`quarantined item ${id}`)
    return item
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/quarantine', summary: 'Quarantined items, oldest first, without payloads', request: { params: instanceParam, query: z.object({ table: z.string().optional() }) }, responses: { 200: { description: 'items', content: json(z.object({ items: z.array(itemSummarySchema) })) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const { table } = c.req.valid('query')
      await requireInstance(name)
      const items = (await activity.quarantined(name)).filter((item) => table === undefined || item.table === table)
      return c.json({ items: items.map(summary) }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/quarantine/{id}', summary: 'One quarantined item with its payload', request: { params: itemParam }, responses: { 200: { description: 'the item', content: json(itemSchema) }, ...errorResponses(401, 404) } }),
    async (c) => {
      const { name, id } = c.req.valid('param')
      const item = await findItem(name, id)
      return c.json({ ...item, replayable: replayable(item) }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/instances/{name}/quarantine/{id}', summary: 'Discard an item (counted as discardedItems/discardedRows)', request: { params: itemParam }, responses: { 200: { description: 'discarded', content: json(z.object({ discarded: z.string() })) }, ...errorResponses(401, 404) } }),
    async (c) => {
      const { name, id } = c.req.valid('param')
      const item = await findItem(name, id)
      if (!(await activity.discard(name, item))) throw notFound(`quarantined item ${id}`)
      opts.log.info({ by: actor(c.get('principal')), instance: name, item: id, table: item.table, rows: item.rows }, 'quarantined item discarded')
      return c.json({ discarded: id }, 200)
    },
  )

  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/instances/{name}/quarantine/{id}/replay',
      summary: 'Load the item again (rows under label <label>-r<n>; source messages through the mapping); the item goes on success',
      request: { params: itemParam },
      responses: {
        200: { description: 'loaded', content: json(replaySchema) },
        ...errorResponses(401, 404, 409),
        400: { description: 'StarRocks refused the rows (reason, rejected rows)', content: json(errorSchema.loose()) },
        502: { description: 'StarRocks could not be reached or failed; try again', content: json(errorSchema.loose()) },
      },
    }),
    async (c) => {
      const { name, id } = c.req.valid('param')
      const item = await findItem(name, id)
      const result = await replay(name, item)
      opts.log.info({ by: actor(c.get('principal')), instance: name, item: id, label: result.label, status: result.status, rows: result.loadedRows }, 'quarantined item replayed')
      return c.json({ replayed: id, ...result }, 200)
    },
  )

  return app
}
