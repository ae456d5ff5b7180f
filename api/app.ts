import { bodyLimit } from 'hono/body-limit'
import { instanceOverviews } from '../src/instances/instance-overview.ts'
import { authenticate, authRoutes } from './auth.ts'
import type { AdminOptions } from './context.ts'
import { ApiError, errorHandler } from './errors.ts'
import { consoleFiles } from './console-files.ts'
import { healthRoutes } from './health.ts'
import { instanceDialogRoutes } from './instance-dialog.ts'
import { instanceRoutes } from './instances.ts'
import { instanceSeriesRoutes } from './instance-series.ts'
import { mappingEnvRoutes } from './mapping-envs.ts'
import { mappingPreviewRoutes } from './mapping-preview.ts'
import { metricsRoutes } from './metrics.ts'
import { defaultLeaseMs, nodeRoutes } from './nodes.ts'
import { serveOpenApi } from './openapi.ts'
import { queueBoard } from './queues.ts'
import { quarantineRoutes } from './quarantine.ts'
import { router } from './router.ts'

/**
 * The admin API as a Hono app: nothing listens here (serve.ts does), so tests call
 * `app.request(...)` directly. Auth runs before every route; errors leave in one shape.
 */
export type { AdminOptions, AuthOptions } from './context.ts'

// Instance configs and mapping environments are small; a bigger body is a mistake or an attack.
const maxBodyBytes = 1024 * 1024

export function createAdminApp(opts: AdminOptions) {
  const app = router()
  app.onError(errorHandler(opts.log))
  app.notFound((c) => c.json({ error: 'not found' }, 404))
  app.use('*', authenticate(opts))
  const board = queueBoard(opts, '/queues')
  const overviews = instanceOverviews(opts.redis, opts.keys, board.queue, opts.leaseMs ?? defaultLeaseMs)
  app.use('/api/*', bodyLimit({ maxSize: maxBodyBytes, onError: () => { throw new ApiError(400, `request body over ${maxBodyBytes} bytes`) } }))

  app.route('/', consoleFiles())
  app.route('/', healthRoutes(opts))
  app.route('/', authRoutes(opts))
  app.route('/', instanceDialogRoutes(opts))
  app.route('/', instanceRoutes(opts, overviews))
  app.route('/', instanceSeriesRoutes(opts))
  app.route('/', metricsRoutes(opts, overviews, board.queue))
  app.route('/', quarantineRoutes(opts))
  app.route('/', mappingPreviewRoutes(opts))
  app.route('/', mappingEnvRoutes(opts))
  app.route('/', nodeRoutes(opts))
  serveOpenApi(app)
  // The board's pages use <base href="/queues/">, but its entry route is '/queues' only.
  app.get('/queues/', (c) => c.redirect('/queues'))
  app.route('/queues', board.app)
  return app
}
