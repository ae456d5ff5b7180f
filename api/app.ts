import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { instanceOverviews } from '../src/instances/instance-overview.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
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
import { schemaHoldRoutes } from './schema-holds.ts'
import { quarantineRoutes } from './quarantine.ts'
import { router } from './router.ts'
import { userRoutes } from './users.ts'
import { refuseCrossSite } from './same-origin.ts'

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
  app.use('*', secureHeaders({
    // Scripts only from this admin; Bull Board's page carries inline styles.
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      // The console shows Bull Board in a frame of its own; no other site may frame either.
      frameAncestors: ["'self'"],
    },
    xFrameOptions: 'SAMEORIGIN',
    // Only over HTTPS, which the admin knows when its cookie is marked Secure.
    strictTransportSecurity: opts.auth.secureCookie ? 'max-age=15552000' : false,
  }))
  app.use('*', refuseCrossSite(opts.auth.trustProxy))
  // Before auth, so nobody's body is read past the limit; the same limit for Bull Board's routes.
  app.use('*', bodyLimit({ maxSize: maxBodyBytes, onError: () => { throw new ApiError(400, `request body over ${maxBodyBytes} bytes`) } }))
  app.use('*', authenticate(opts))
  const board = queueBoard(opts, '/queues')
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const overviews = instanceOverviews(opts.redis, opts.keys, board.queue, opts.leaseMs ?? defaultLeaseMs, (name) => store.kafkaConfig(name))

  app.route('/', consoleFiles())
  app.route('/', healthRoutes(opts))
  app.route('/', authRoutes(opts))
  app.route('/', instanceDialogRoutes(opts))
  app.route('/', instanceRoutes(opts, overviews))
  app.route('/', instanceSeriesRoutes(opts))
  app.route('/', metricsRoutes(opts, overviews, board.queue))
  app.route('/', quarantineRoutes(opts))
  app.route('/', schemaHoldRoutes(opts, board.queue))
  app.route('/', mappingPreviewRoutes(opts))
  app.route('/', mappingEnvRoutes(opts))
  app.route('/', nodeRoutes(opts))
  app.route('/', userRoutes(opts))
  serveOpenApi(app)
  // The board's pages use <base href="/queues/">, but its entry route is '/queues' only.
  app.get('/queues/', (c) => c.redirect('/queues'))
  app.route('/queues', board.app)
  return app
}
