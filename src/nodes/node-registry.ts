import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * Consumer nodes as the console lists them: who they are, what they run, and when they last
 * spoke. A node is online while its last heartbeat is younger than the lease; the registry is a
 * view, the instance leases (instance-lease.ts) are what decide who runs what.
 */
export type NodeRole = 'fetcher' | 'loader'

export type NodeInfo = {
  name: string
  address: string
  port: number
  cluster: string
  roles: NodeRole[]
  version: string
  startedAt: number
}

export type NodeStatus = NodeInfo & { lastHeartbeat: number; online: boolean; instances: string[] }

export function nodeRegistry(redis: Redis, keys: RedisKeys, leaseMs: number) {
  return {
    async register(info: NodeInfo): Promise<void> {
      await redis
        .multi()
        .hset(keys.node(info.name), {
          name: info.name,
          address: info.address,
          port: String(info.port),
          cluster: info.cluster,
          roles: info.roles.join(','),
          version: info.version,
          startedAt: String(info.startedAt),
          lastHeartbeat: String(Date.now()),
          instances: '',
        })
        .hdel(keys.node(info.name), 'stoppedAt')
        .sadd(keys.nodes, info.name)
        .exec()
    },
    /** A clean shutdown: offline at once instead of after the lease. */
    async stopped(name: string): Promise<void> {
      await redis.hset(keys.node(name), 'stoppedAt', String(Date.now()), 'instances', '')
    },
    async heartbeat(name: string, instances: string[]): Promise<void> {
      await redis.hset(keys.node(name), 'lastHeartbeat', String(Date.now()), 'instances', instances.join(','))
    },
    async list(now = Date.now()): Promise<NodeStatus[]> {
      const names = (await redis.smembers(keys.nodes)).sort()
      const hashes = await Promise.all(names.map((n) => redis.hgetall(keys.node(n))))
      return hashes.flatMap((h) => {
        if (!h.name) return []
        const lastHeartbeat = Number(h.lastHeartbeat ?? 0)
        return [{
          name: h.name,
          address: h.address ?? '',
          port: Number(h.port ?? 0),
          cluster: h.cluster ?? '',
          roles: (h.roles ?? '').split(',').filter((r): r is NodeRole => r === 'fetcher' || r === 'loader'),
          version: h.version ?? '',
          startedAt: Number(h.startedAt ?? 0),
          lastHeartbeat,
          online: !h.stoppedAt && now - lastHeartbeat < leaseMs,
          instances: (h.instances ?? '').split(',').filter((i) => i !== ''),
        }]
      })
    },
  }
}
