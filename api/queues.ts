import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { HonoAdapter } from '@bull-board/hono'
import { serveStatic } from '@hono/node-server/serve-static'
import { Queue } from 'bullmq'
import { Hono } from 'hono'
import { loadQueueName } from '../src/jobs/load-job.ts'
import type { AdminOptions } from './context.ts'

/**
 * Bull Board over the `k2s-load` queue, mounted at `basePath` behind the console login (auth.ts
 * covers every path that is not public). Read-only: removing or emptying a load job by hand would
 * leave its partition's offset waiting for a batch that never loads (docs/design.md invariant 1).
 *
 * The Hono adapter serves the UI's files with `serveStatic` from @hono/node-server, rooted
 * relative to the process's working directory; that is resolved when the board is built.
 */
export function queueBoard(opts: AdminOptions, basePath: string) {
  const queue = new Queue(loadQueueName, { connection: opts.redis, prefix: opts.keys.bullPrefix })
  const adapter = new HonoAdapter(serveStatic).setBasePath(basePath)
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: true })],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'K2S loads', favIcon: { default: '/ui/favicon.svg', alternative: '/ui/favicon.svg' } } },
  })
  const app = new Hono()
  // The board's page asks Google for its web fonts: K2S runs where there is no internet, and a
  // console must not call out. Without the link the page falls back to the system's sans-serif.
  app.use('*', async (c, next) => {
    await next()
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return
    const html = await c.res.text()
    const headers = new Headers(c.res.headers)
    headers.delete('content-length')
    c.res = new Response(withoutRemoteFonts(html), { status: c.res.status, headers })
  })
  app.route('/', adapter.registerPlugin())
  return { app, queue }
}

/** Drops every stylesheet link to another host (the board's only one is Google Fonts). */
export function withoutRemoteFonts(html: string): string {
  return html.replace(/<link\b[^>]*href="https?:\/\/[^"]*"[^>]*>\s*/gi, '')
}
