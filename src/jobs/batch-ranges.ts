import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * docs/design.md invariant 4: the offset range of every batch cut is recorded before its job is
 * queued and removed only after its offset is committed. A partition may have two: the batch
 * loading (or completed, its commit on the way) and the next one, cut while it loaded. A fetcher
 * that takes a partition over cuts the recorded ranges again, to the offset, so the labels repeat
 * and StarRocks refuses a second copy — the one thing that keeps Duplicate Key tables exact
 * across crashes.
 */
export type BatchRange = { epoch: number; firstOffset: string; lastOffset: string }

export type BatchRanges = ReturnType<typeof batchRanges>

/** One spelling per range: a range is removed by its exact text. */
const rangeText = (r: BatchRange) => JSON.stringify({ epoch: r.epoch, firstOffset: r.firstOffset, lastOffset: r.lastOffset })

// Remove only the range we committed: a newer fetcher may already have recorded the next one. The
// legacy key is a range a K2S before pipelining recorded.
const clearRange = `redis.call('LREM', KEYS[1], 1, ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end return 1`
// A node that lost the instance's lease (frozen, cut off) may still hold buffered messages: a range
// it cut now would differ from the new owner's, so its labels would load those rows twice. The
// fence does the same between fetcher generations on one node (a rebalance, a restarted fetcher):
// only the newest may record, and it reads the ranges only after taking the fence.
const recordIfHolder = `if redis.call('GET', KEYS[2]) ~= ARGV[2] or redis.call('GET', KEYS[3]) ~= ARGV[3] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1]) return 1`
const fenceIfHolder = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end redis.call('SET', KEYS[2], ARGV[2]) return 1`

/** `holder`: the node that must hold the instance's lease for a range to be recorded. */
export function batchRanges(redis: Redis, keys: RedisKeys, instance: string, holder: string) {
  return {
    /**
     * Makes `fence` (one per fetcher generation) the only one that may record ranges. False when
     * `holder` does not hold the instance's lease.
     */
    async fence(fence: string): Promise<boolean> {
      return (await redis.eval(fenceIfHolder, 2, keys.owner(instance), keys.rangeFence(instance), holder, fence)) === 1
    },
    /**
     * Appends `range` after the partition's others. False, recording nothing, when `holder` no
     * longer holds the instance or a newer generation took the fence: cut no batch then.
     */
    async record(topic: string, partition: number, range: BatchRange, fence: string): Promise<boolean> {
      const recorded = await redis.eval(recordIfHolder, 3, keys.batchRanges(instance, topic, partition), keys.owner(instance), keys.rangeFence(instance), rangeText(range), holder, fence)
      return recorded === 1
    },
    list: (topic: string, partition: number) => recordedRanges(redis, keys, instance, topic, partition),
    async clear(topic: string, partition: number, range: BatchRange): Promise<void> {
      await redis.eval(clearRange, 2, keys.batchRanges(instance, topic, partition), keys.legacyBatchRange(instance, topic, partition), rangeText(range))
    },
  }
}

/** A partition's recorded ranges, oldest first. */
export async function recordedRanges(redis: Redis, keys: RedisKeys, instance: string, topic: string, partition: number): Promise<BatchRange[]> {
  const [legacy, texts] = await Promise.all([redis.get(keys.legacyBatchRange(instance, topic, partition)), redis.lrange(keys.batchRanges(instance, topic, partition), 0, -1)])
  return [...(legacy ? [legacy] : []), ...texts].map((text) => JSON.parse(text) as BatchRange)
}
