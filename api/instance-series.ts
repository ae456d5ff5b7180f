import { createRoute, z } from '@hono/zod-openapi'
import { instanceStore } from '../src/instances/instance-store.ts'
import { keptMinutes, readMinuteSeries } from '../src/observe/minute-series.ts'
import type { AdminOptions } from './context.ts'
import { errorResponses, notFound } from './errors.ts'
import { nameParam } from './instance-schemas.ts'
import { json, router, userSecurity } from './router.ts'

/** The instance page's charts: rows/s, lag and quarantined rows per minute, per partition on demand. */
const seriesQuery = z.object({
  minutes: z.coerce.number().int().min(1).max(keptMinutes).default(60).describe(`how many minutes back, up to ${keptMinutes}`),
  partitions: z.enum(['0', '1']).default('0').describe('1: also one series per topic partition'),
})

const series = {
  rowsPerSecond: z.array(z.number()).describe('rows loaded in the minute / 60'),
  quarantinedRows: z.array(z.number()),
  lagMessages: z.array(z.number().nullable()).describe("the lag at the minute's last fetcher report; null when no fetcher ran it"),
  lagSeconds: z.array(z.number().nullable()),
}
const seriesReply = z.object({
  name: z.string(),
  minutes: z.array(z.number()).describe('start of each minute, seconds since the epoch, oldest first'),
  ...series,
  partitions: z.array(z.object({ topic: z.string(), partition: z.number(), ...series })).optional(),
})

export function instanceSeriesRoutes(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const app = router()
  app.openapi(
    createRoute({
      tags: ['instances'],
      security: userSecurity,
      method: 'get',
      path: '/api/instances/{name}/series',
      summary: 'Per minute: rows loaded per second, rows quarantined, lag in messages and seconds (kept for a day)',
      request: { params: nameParam, query: seriesQuery },
      responses: { 200: { description: 'the series', content: json(seriesReply) }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { name } = c.req.valid('param')
      const { minutes, partitions } = c.req.valid('query')
      if (!(await store.viewInstance(name))) throw notFound(`instance ${name}`)
      return c.json({ name, ...(await readMinuteSeries(opts.redis, opts.keys, name, { minutes, partitions: partitions === '1' })) }, 200)
    },
  )
  return app
}
