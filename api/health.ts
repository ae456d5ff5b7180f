import { createRoute, z } from '@hono/zod-openapi'
import type { AdminOptions } from './context.ts'
import { json, router } from './router.ts'

/** For load balancers and probes: answers without login, says only whether Redis answers. */
const healthSchema = z.object({ status: z.enum(['ok', 'unavailable']) })

export function healthRoutes(opts: AdminOptions) {
  const app = router()
  app.openapi(
    createRoute({ tags: ['health'], method: 'get', path: '/api/health', summary: 'Liveness and Redis reachability', responses: { 200: { description: 'up', content: json(healthSchema) }, 503: { description: 'Redis does not answer', content: json(healthSchema) } } }),
    async (c) => {
      try {
        await opts.redis.ping()
        return c.json({ status: 'ok' as const }, 200)
      } catch {
        return c.json({ status: 'unavailable' as const }, 503)
      }
    },
  )
  return app
}
