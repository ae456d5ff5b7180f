import type { Redis } from 'ioredis'
import type { PartitionLag } from './consumer-lag.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * What the fetcher that runs an instance last saw of it, every few seconds and after commits: per
 * partition the committed and end offsets and the binlog time (`es`) of the oldest message not
 * loaded yet, and since when it has been behind without committing anything. The admin reads it instead of asking
 * Kafka for every instance on every request; it is trusted only while it comes from the lease
 * holder and is young.
 */
export type PartitionProgress = PartitionLag & {
  /** Binlog time (ms) of the oldest message not committed; null when not fetched yet or without `es`. */
  oldestEs: number | null
  /** A batch of this partition is queued or loading. */
  inFlight: boolean
}

export type LagRecord = {
  node: string
  epoch: number
  /** When it was written (ms). */
  at: number
  /** Behind since then with no committed offset moving (ms); null while caught up. */
  waitingSince: number | null
  partitions: PartitionProgress[]
}

/** How often a fetcher writes its record; a record five times older is ignored. */
export const lagPublishMs = 2_000
export const lagStaleMs = 5 * lagPublishMs

export async function writeLagRecord(redis: Redis, keys: RedisKeys, instance: string, record: LagRecord): Promise<void> {
  await redis.set(keys.lag(instance), JSON.stringify(record))
}

export async function readLagRecord(redis: Redis, keys: RedisKeys, instance: string): Promise<LagRecord | null> {
  const text = await redis.get(keys.lag(instance))
  return text ? (JSON.parse(text) as LagRecord) : null
}

export type LagFigures = { messages: number | null; seconds: number | null }

/** Seconds a partition is behind: now − `es` of its oldest unloaded message; 0 when caught up. */
export function partitionSeconds(p: Pick<PartitionProgress, 'lag' | 'oldestEs'>, now: number): number | null {
  if (BigInt(p.lag) <= 0n) return 0
  return p.oldestEs === null ? null : Math.max(0, now - p.oldestEs) / 1000
}

/**
 * An instance's lag: messages summed over its partitions, seconds of the partition furthest
 * behind among those whose oldest message is known (null when none is).
 */
export function lagFigures(partitions: Pick<PartitionProgress, 'lag' | 'oldestEs'>[] | null, now: number): LagFigures {
  if (!partitions) return { messages: null, seconds: null }
  let messages = 0
  let seconds: number | null = null
  for (const p of partitions) {
    if (BigInt(p.lag) <= 0n) continue
    messages += Number(p.lag)
    const s = partitionSeconds(p, now)
    if (s !== null && (seconds === null || s > seconds)) seconds = s
  }
  return { messages, seconds: messages === 0 ? 0 : seconds }
}
