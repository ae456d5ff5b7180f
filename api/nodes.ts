import { createRoute, z } from '@hono/zod-openapi'
import { randomBytes } from 'node:crypto'
import { logEntrySchema, recentLogs, recentLogsQuery } from '../src/observe/log-store.ts'
import { nodeRegistry } from '../src/nodes/node-registry.ts'
import type { AdminOptions } from './context.ts'
import { ApiError, conflict, errorResponses, notFound, refusal } from './errors.ts'
import { tokenHash } from './sessions.ts'
import { actor, json, nodeSecurity, router, userSecurity } from './router.ts'

/**
 * Consumer nodes: the console reads the registry and removes nodes that are gone; nodes themselves
 * (node token) register and heartbeat. Online means a heartbeat younger than the lease.
 */
export const defaultLeaseMs = 15_000
const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit')
const nameParam = z.object({ name: z.string() })

const registerBody = z.object({
  name: nodeName,
  address: z.string().min(1).max(255).regex(/^[^\s/]+$/, 'a host name or IP, without scheme or path'),
  port: z.number().int().min(0).max(65535),
  cluster: z.string().max(128).default(''),
  roles: z.array(z.enum(['fetcher', 'loader'])).max(2).refine((r) => new Set(r).size === r.length, 'roles must not repeat'),
  version: z.string().max(64).default(''),
  /** ms since the epoch; default: now. */
  startedAt: z.number().int().min(0).optional(),
})
const heartbeatBody = z.object({ instances: z.array(z.string().max(128)).max(1_000).default([]) })
/**
 * The node token is shared by every node, so it cannot tell one node from another: registration
 * hands each node a key of its own, and only that key may heartbeat for it or register it again
 * while it is online. New names are limited per minute, so a leaked token cannot flood the list.
 */
export const nodeKeyHeader = 'x-k2s-node-key'
const newNodesPerMinute = 30

const nodeSchema = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number(),
  cluster: z.string(),
  roles: z.array(z.enum(['fetcher', 'loader'])),
  version: z.string(),
  startedAt: z.number(),
  lastHeartbeat: z.number(),
  status: z.enum(['online', 'offline']),
  instances: z.array(z.string()),
})

export function nodeRoutes(opts: AdminOptions) {
  const leaseMs = opts.leaseMs ?? defaultLeaseMs
  const registry = nodeRegistry(opts.redis, opts.keys, leaseMs)
  const app = router()

  async function ownKey(name: string, key: string | undefined): Promise<boolean> {
    if (!key) return false
    const stored = await opts.redis.hget(opts.keys.nodeKeys, name)
    return stored !== null && stored === tokenHash(key)
  }

  async function find(name: string) {
    const node = (await registry.list()).find((n) => n.name === name)
    if (!node) throw notFound(`node ${name}`)
    return node
  }

  app.openapi(
    createRoute({ tags: ['nodes'], security: userSecurity, method: 'get', path: '/api/nodes', summary: 'Registered nodes, online or offline', responses: { 200: { description: 'nodes', content: json(z.object({ leaseMs: z.number(), nodes: z.array(nodeSchema) })) }, ...errorResponses(401) } }),
    async (c) => {
      const nodes = (await registry.list()).map(({ online, ...node }) => ({ ...node, status: online ? ('online' as const) : ('offline' as const) }))
      return c.json({ leaseMs, nodes }, 200)
    },
  )

  app.openapi(
    createRoute({ tags: ['nodes'], security: userSecurity, method: 'delete', path: '/api/nodes/{name}', summary: 'Forget an offline node', request: { params: nameParam }, responses: { 200: { description: 'removed', content: json(z.object({ deleted: z.string() })) }, ...errorResponses(401, 404, 409) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      if ((await find(name)).online) throw conflict(`node ${name} is online: stop it first, or wait for its lease (${leaseMs} ms) to run out`)
      await opts.redis.multi().del(opts.keys.node(name)).srem(opts.keys.nodes, name).hdel(opts.keys.nodeKeys, name).exec()
      opts.log.info({ by: actor(c.get('principal')), node: name }, 'node removed')
      return c.json({ deleted: name }, 200)
    },
  )

  app.openapi(
    createRoute({ tags: ['nodes'], security: nodeSecurity, method: 'post', path: '/api/nodes/register', summary: `A node announces itself and gets its own key, sent as ${nodeKeyHeader} with its heartbeats; an online node's name takes its key`, request: { body: { required: true, content: json(registerBody) } }, responses: { 200: { description: 'registered', content: json(z.object({ name: z.string(), leaseMs: z.number(), nodeKey: z.string() })) }, ...errorResponses(400, 401, 409, 429) } }),
    async (c) => {
      const body = c.req.valid('json')
      const existing = (await registry.list()).find((n) => n.name === body.name)
      if (existing?.online && !(await ownKey(body.name, c.req.header(nodeKeyHeader)))) {
        throw conflict(`node ${body.name} is online: only that node may register under its name (or wait for its lease, ${leaseMs} ms, to run out)`)
      }
      if (!existing) {
        const windowKey = opts.keys.loginFailures('node-registrations')
        const [[, count] = []] = (await opts.redis.multi().incr(windowKey).pexpire(windowKey, 60_000, 'NX').exec()) ?? []
        if (Number(count) > newNodesPerMinute) throw refusal(429, 'nodes.registration_limited', { limit: newNodesPerMinute }, { 'Retry-After': '60' })
      }
      const nodeKey = randomBytes(24).toString('base64url')
      await opts.redis.hset(opts.keys.nodeKeys, body.name, tokenHash(nodeKey))
      await registry.register({ ...body, startedAt: body.startedAt ?? Date.now() })
      opts.log.info({ node: body.name, address: body.address, roles: body.roles }, 'node registered')
      return c.json({ name: body.name, leaseMs, nodeKey }, 200)
    },
  )

  app.openapi(
    createRoute({ tags: ['nodes'], security: nodeSecurity, method: 'post', path: '/api/nodes/{name}/heartbeat', summary: `A node is alive and runs these instances (only those whose lease it holds are recorded); needs its ${nodeKeyHeader}`, request: { params: nameParam, body: { required: true, content: json(heartbeatBody) } }, responses: { 200: { description: 'recorded', content: json(z.object({ name: z.string(), leaseMs: z.number() })) }, ...errorResponses(400, 401, 403, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      // An unknown (or removed) node must register again, so the console knows its address and roles.
      if (!(await opts.redis.sismember(opts.keys.nodes, name))) throw notFound(`node ${name} (register first)`)
      if (!(await ownKey(name, c.req.header(nodeKeyHeader)))) throw new ApiError(403, `only node ${name} may heartbeat for it: send the key its registration returned in ${nodeKeyHeader}`)
      const claimed = [...new Set(c.req.valid('json').instances)]
      // A node speaks for the instances it holds the lease of, and no others.
      const owners = claimed.length ? await opts.redis.mget(claimed.map((i) => opts.keys.owner(i))) : []
      await registry.heartbeat(name, claimed.filter((_, i) => owners[i] === name))
      return c.json({ name, leaseMs }, 200)
    },
  )

  app.openapi(
    createRoute({ tags: ['nodes'], security: userSecurity, method: 'get', path: '/api/nodes/{name}/logs', summary: 'Recent log lines of a node, newest first', request: { params: nameParam, query: recentLogsQuery }, responses: { 200: { description: 'log lines', content: json(z.object({ name: z.string(), logs: z.array(logEntrySchema) })) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      // Known nodes only: a removed node is a 404, even while its last lines are still in Redis.
      if (!(await opts.redis.sismember(opts.keys.nodes, name))) throw notFound(`node ${name}`)
      return c.json({ name, logs: await recentLogs(opts.redis, opts.keys, { node: name }, c.req.valid('query')) }, 200)
    },
  )

  return app
}
