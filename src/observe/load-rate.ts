import type { ChainableCommander, Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * Rows loaded per second over the last minute, whichever loaders on whichever nodes loaded them:
 * every finished batch adds its rows to a 10 s bucket in Redis (a key that expires on its own), and
 * the rate is the sum of the buckets the window covers, the oldest one counted pro rata.
 */
const bucketMs = 10_000
const windowMs = 60_000

export function addLoadedRows(tx: ChainableCommander, keys: RedisKeys, instance: string, rows: number, now = Date.now()): void {
  const key = keys.loadRate(instance, Math.floor(now / bucketMs))
  tx.incrby(key, rows).pexpire(key, windowMs + 2 * bucketMs)
}

export async function rowsPerSecond(redis: Redis, keys: RedisKeys, instance: string, now = Date.now()): Promise<number> {
  const current = Math.floor(now / bucketMs)
  const oldest = current - windowMs / bucketMs
  const buckets = Array.from({ length: current - oldest + 1 }, (_, i) => oldest + i)
  const values = (await redis.mget(buckets.map((b) => keys.loadRate(instance, b)))).map((v) => Number(v ?? 0))
  const oldestShare = ((oldest + 1) * bucketMs - (now - windowMs)) / bucketMs
  const rows = values.reduce((sum, v, i) => sum + (i === 0 ? v * oldestShare : v), 0)
  return Math.round((rows / (windowMs / 1000)) * 100) / 100
}
