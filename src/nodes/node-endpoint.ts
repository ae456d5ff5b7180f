import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { timingSafeEqual, createHash } from 'node:crypto'
import type { LogRing } from '../observe/log-ring.ts'

/**
 * What a consumer node answers on its own port (k2s.node.port / server.port), as the seed's nodes
 * did: `GET /health` (200 while the node is registered and runs, 503 while it runs nothing, e.g.
 * refused by the admin: a probe's readiness) and `GET /logs?limit=N` (its newest log lines, newest
 * first; with the node token as a Bearer token when the node has one). The port the console shows
 * is this one, so it is the port something listens on.
 */
export type NodeHealth = { name: string; registered: boolean; roles: string[]; instances: string[]; startedAt: number; version: string }

export type NodeEndpointOptions = {
  host: string
  port: number
  health(): NodeHealth
  logs: LogRing
  /** The node token; when set, /logs needs it. */
  token: string
}

export type NodeEndpoint = { port: number; close(): Promise<void> }

export class PortTakenError extends Error {}

export async function serveNodeEndpoint(opts: NodeEndpointOptions): Promise<NodeEndpoint> {
  const server = createServer((req, res) => {
    try {
      answer(req, res, opts)
    } catch (err) {
      send(res, 500, { error: (err as Error).message })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortTakenError(`port ${opts.port} is taken by another process: choose the node's port with K2S_NODE_PORT or k2s.node.port (server.port), or 0 for any free one`) : err))
    server.listen(opts.port, opts.host, () => resolve())
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function answer(req: IncomingMessage, res: ServerResponse, opts: NodeEndpointOptions): void {
  const url = new URL(req.url ?? '/', 'http://node')
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET' })
  if (url.pathname === '/health') {
    const health = opts.health()
    return send(res, health.registered ? 200 : 503, { status: health.registered ? 'ok' : 'not registered: runs nothing', ...health })
  }
  if (url.pathname === '/logs') {
    if (opts.token && !sameSecret(/^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '', opts.token)) {
      return send(res, 401, { error: 'send the node token as a Bearer token' })
    }
    const limit = Number(url.searchParams.get('limit') ?? 200)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return send(res, 400, { error: 'invalid input', issues: [{ path: 'limit', message: 'a whole number from 1 to 1000' }] })
    return send(res, 200, { name: opts.health().name, logs: opts.logs.recent(limit) })
  }
  send(res, 404, { error: 'not found: this node answers GET /health and GET /logs' })
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const digest = (s: string) => createHash('sha256').update(s).digest()
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))
