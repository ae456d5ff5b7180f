import { serveStatic } from '@hono/node-server/serve-static'
import { fileURLToPath } from 'node:url'
import { router } from './router.ts'

/**
 * The web console: the plain ES modules and CSS of `dashboards/`, served as they are under `/ui/`
 * (no build step). They are public like a login page is; every API call they make needs a login.
 */
const root = fileURLToPath(new URL('../dashboards', import.meta.url))

export function consoleFiles() {
  const app = router()
  app.get('/', (c) => c.redirect('/ui/'))
  app.get('/ui', (c) => c.redirect('/ui/'))
  app.use('/ui/*', async (c, next) => {
    await next()
    // Pages change with every release and are small: always ask again rather than run a stale mix.
    c.header('Cache-Control', 'no-cache')
  })
  app.use('/ui/*', serveStatic({ root, rewriteRequestPath: (path) => path.slice('/ui'.length) }))
  return app
}
