import type { Redis } from 'ioredis'
import type { RedisKeys } from './redis-keys.ts'

/**
 * DESIGN.md invariant 4: the offset range of every batch in flight is recorded before its job is
 * queued and removed only after its offset is committed. A fetcher that takes a partition over
 * cuts the recorded range again, to the offset, so the labels repeat and StarRocks refuses a
 * second copy — the one thing that keeps Duplicate Key tables exact across crashes.
 */
export type BatchRange = { epoch: number; firstOffset: string; lastOffset: string }

export type BatchRanges = ReturnType<typeof batchRanges>

// Delete only the range we committed: a newer fetcher may already have recorded the next one.
const clearIfSame = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

export function batchRanges(redis: Redis, keys: RedisKeys, instance: string) {
  return {
    async record(topic: string, partition: number, range: BatchRange): Promise<void> {
      await redis.set(keys.batchRange(instance, topic, partition), JSON.stringify(range))
    },
    async get(topic: string, partition: number): Promise<BatchRange | null> {
      const text = await redis.get(keys.batchRange(instance, topic, partition))
      return text ? (JSON.parse(text) as BatchRange) : null
    },
    async clear(topic: string, partition: number, range: BatchRange): Promise<void> {
      await redis.eval(clearIfSame, 1, keys.batchRange(instance, topic, partition), JSON.stringify(range))
    },
  }
}
