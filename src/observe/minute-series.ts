import type { ChainableCommander, Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'
import { lagFigures, partitionSeconds, type PartitionProgress } from './lag-record.ts'

/**
 * An instance's last day, minute by minute, for the console's charts: rows loaded and rows
 * quarantined (an unreadable message counts as one; summed over every loader), and lag in messages and seconds (the last value the fetcher
 * published in that minute), each for the instance and per partition. One Redis hash per instance
 * and minute, expiring after a day on its own, so nothing has to trim it.
 *
 * Fields: `rows`, `quarantined`, `lagMessages`, `lagSeconds`, and the same with `|topic|partition`
 * appended for one partition (`|` cannot occur in a Kafka topic name).
 */
export const keptMinutes = 24 * 60
const ttlSeconds = keptMinutes * 60 + 120

const minuteOf = (ms: number) => Math.floor(ms / 60_000)
const partitionField = (name: string, topic: string, partition: number) => `${name}|${topic}|${partition}`

/** Rows a batch of one partition loaded or quarantined, added to its minute (in the caller's transaction). */
export function addMinuteCounts(tx: ChainableCommander, keys: RedisKeys, instance: string, where: { topic: string; partition: number }, counts: { rows: number; quarantined: number }, now = Date.now()): void {
  if (counts.rows === 0 && counts.quarantined === 0) return
  const key = keys.minuteSeries(instance, minuteOf(now))
  for (const [name, n] of [['rows', counts.rows], ['quarantined', counts.quarantined]] as const) {
    if (n === 0) continue
    tx.hincrby(key, name, n).hincrby(key, partitionField(name, where.topic, where.partition), n)
  }
  tx.expire(key, ttlSeconds)
}

/** The lag the fetcher sees now; a later write in the same minute replaces it. */
export async function recordMinuteLag(redis: Redis, keys: RedisKeys, instance: string, partitions: Pick<PartitionProgress, 'topic' | 'partition' | 'lag' | 'oldestEs'>[], now = Date.now()): Promise<void> {
  const key = keys.minuteSeries(instance, minuteOf(now))
  const total = lagFigures(partitions, now)
  const fields: Record<string, string> = { lagMessages: String(total.messages ?? 0) }
  if (total.seconds !== null) fields.lagSeconds = String(total.seconds)
  for (const p of partitions) {
    fields[partitionField('lagMessages', p.topic, p.partition)] = p.lag
    const seconds = partitionSeconds(p, now)
    if (seconds !== null) fields[partitionField('lagSeconds', p.topic, p.partition)] = String(seconds)
  }
  await redis.multi().hset(key, fields).expire(key, ttlSeconds).exec()
}

/** Per minute, oldest first; null where nothing was recorded (lag while no fetcher ran it). */
export type Series = { rowsPerSecond: number[]; quarantinedRows: number[]; lagMessages: (number | null)[]; lagSeconds: (number | null)[] }
export type MinuteSeries = Series & {
  /** The start of each minute, in seconds since the epoch. */
  minutes: number[]
  partitions?: (Series & { topic: string; partition: number })[]
}

export async function readMinuteSeries(redis: Redis, keys: RedisKeys, instance: string, opts: { minutes: number; partitions: boolean; now?: number }): Promise<MinuteSeries> {
  const last = minuteOf(opts.now ?? Date.now())
  const count = Math.max(1, Math.min(keptMinutes, opts.minutes))
  const minutes = Array.from({ length: count }, (_, i) => last - count + 1 + i)
  const pipeline = redis.pipeline()
  for (const m of minutes) pipeline.hgetall(keys.minuteSeries(instance, m))
  const hashes = ((await pipeline.exec()) ?? []).map(([err, h]) => (err ? {} : (h as Record<string, string>)))

  const series = (suffix: string): Series => ({
    rowsPerSecond: hashes.map((h) => Math.round((Number(h[`rows${suffix}`] ?? 0) / 60) * 100) / 100),
    quarantinedRows: hashes.map((h) => Number(h[`quarantined${suffix}`] ?? 0)),
    lagMessages: hashes.map((h) => (h[`lagMessages${suffix}`] === undefined ? null : Number(h[`lagMessages${suffix}`]))),
    lagSeconds: hashes.map((h) => (h[`lagSeconds${suffix}`] === undefined ? null : Number(h[`lagSeconds${suffix}`]))),
  })
  const result: MinuteSeries = { minutes: minutes.map((m) => m * 60), ...series('') }
  if (opts.partitions) {
    const seen = new Map<string, { topic: string; partition: number }>()
    for (const h of hashes) {
      for (const field of Object.keys(h)) {
        const [, topic, partition] = field.split('|')
        if (topic !== undefined && partition !== undefined) seen.set(`|${topic}|${partition}`, { topic, partition: Number(partition) })
      }
    }
    result.partitions = [...seen]
      .sort(([, a], [, b]) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      .map(([suffix, p]) => ({ ...p, ...series(suffix) }))
  }
  return result
}
