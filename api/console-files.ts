import { serveStatic } from '@hono/node-server/serve-static'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { router } from './router.ts'

/**
 * The web console: the plain ES modules and CSS of `dashboards/`, served as they are under `/ui/`
 * (no build step). They are public like a login page is; every API call they make needs a login.
 */
const root = fileURLToPath(new URL('../dashboards', import.meta.url))

// The charting library, served from the installed package: the console works offline, no CDN.
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'))
const vendor: Record<string, { file: string; type: string }> = {
  'uplot.js': { file: join(uplotDir, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
}

export function consoleFiles() {
  const app = router()
  app.get('/', (c) => c.redirect('/ui/'))
  app.get('/ui', (c) => c.redirect('/ui/'))
  app.use('/ui/*', async (c, next) => {
    await next()
    // Pages change with every release and are small: always ask again rather than run a stale mix.
    c.header('Cache-Control', 'no-cache')
  })
  app.get('/ui/vendor/:file', (c) => {
    const found = vendor[c.req.param('file')]
    if (!found) return c.json({ error: 'not found' }, 404)
    return c.body(readFileSync(found.file), 200, { 'content-type': found.type })
  })
  app.use('/ui/*', serveStatic({ root, rewriteRequestPath: (path) => path.slice('/ui'.length) }))
  return app
}
