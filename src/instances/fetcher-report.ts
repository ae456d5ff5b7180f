import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * What the fetcher of an instance is doing, as the node running it last reported: `connecting`
 * until its consumer has joined the group and fetched once, `fetching` while fetches keep coming,
 * `retrying` (with the reason) while Kafka or StarRocks cannot be reached or the consumer went
 * quiet. The state a user sees (instance-state.ts) says `running` only on `fetching`, and only
 * from the node holding the lease: a report of an earlier holder is history, not the present.
 */
export type FetcherPhase = 'connecting' | 'fetching' | 'retrying'

export type FetcherReport = {
  node: string
  phase: FetcherPhase
  /** English text of the reason, empty unless retrying. */
  reason: string
  /** The reason's stable code and parameters, for the console's own language. */
  code: string
  params: Record<string, string | number>
  /** ms since the epoch: when this phase began. */
  since: number
}

export type FetcherReports = ReturnType<typeof fetcherReports>

// Written only if the key is absent or already this node's: a node that lost the instance must
// not overwrite what the new holder reports.
const writeIfMine = `
local node = redis.call('HGET', KEYS[1], 'node')
if node and node ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'phase', ARGV[2], 'reason', ARGV[3], 'code', ARGV[4], 'params', ARGV[5], 'since', ARGV[6])
return 1`
const deleteIfMine = `if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

export function fetcherReports(redis: Redis, keys: RedisKeys) {
  return {
    /** A node starting a fetcher takes the report over, whoever wrote it before. */
    async begin(instance: string, node: string): Promise<void> {
      await redis.hset(keys.fetcherReport(instance), { node, phase: 'connecting', reason: '', code: '', params: '{}', since: String(Date.now()) })
    },
    async report(instance: string, r: Omit<FetcherReport, 'since'>, since = Date.now()): Promise<void> {
      await redis.eval(writeIfMine, 1, keys.fetcherReport(instance), r.node, r.phase, r.reason, r.code, JSON.stringify(r.params), String(since))
    },
    async end(instance: string, node: string): Promise<void> {
      await redis.eval(deleteIfMine, 1, keys.fetcherReport(instance), node)
    },
    async read(instance: string): Promise<FetcherReport | null> {
      const h = await redis.hgetall(keys.fetcherReport(instance))
      if (!h.node || (h.phase !== 'connecting' && h.phase !== 'fetching' && h.phase !== 'retrying')) return null
      return { node: h.node, phase: h.phase, reason: h.reason ?? '', code: h.code ?? '', params: parseParams(h.params), since: Number(h.since ?? 0) }
    },
  }
}

function parseParams(text: string | undefined): Record<string, string | number> {
  try {
    const parsed: unknown = JSON.parse(text ?? '{}')
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string | number>) : {}
  } catch {
    return {}
  }
}
