import type { Admin } from 'kafkajs'
import type { Redis } from 'ioredis'
import type { InstanceConfig } from '../instances/config.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * E-B / L-B: on an operator's start every partition moves to its earliest / latest offset, once.
 * The targets are pinned in Redis when the first fetcher of the new epoch starts, so a fetcher
 * that restarts mid-way applies the same offsets and never resets a partition it already moved
 * (docs/design.md "automatic recovery always continues from committed offsets").
 */
export type ResetTarget = { topic: string; partition: number; offset: string }

export type ResetPlan = ReturnType<typeof resetPlan>

const plannedMarker = '_planned'

export function resetPlan(redis: Redis, keys: RedisKeys, config: InstanceConfig, epoch: number) {
  const key = keys.resetPlan(config.name, epoch)
  return {
    async prepare(admin: Admin): Promise<void> {
      if ((await redis.hsetnx(key, plannedMarker, '1')) === 0) return
      for (const topic of config.topics) {
        const offsets = await admin.fetchTopicOffsets(topic)
        const fields = offsets.flatMap((o) => [`${topic}:${o.partition}`, config.consumerPolicy === 'E-B' ? o.low : o.high])
        if (fields.length > 0) await redis.hset(key, ...fields)
      }
    },
    /** Targets not yet applied among the given partitions. */
    async pending(assigned: Record<string, number[]>): Promise<ResetTarget[]> {
      const plan = await redis.hgetall(key)
      return Object.entries(assigned).flatMap(([topic, partitions]) =>
        partitions.flatMap((partition) => {
          const offset = plan[`${topic}:${partition}`]
          return offset === undefined ? [] : [{ topic, partition, offset }]
        }),
      )
    },
    async applied(targets: ResetTarget[]): Promise<void> {
      if (targets.length > 0) await redis.hdel(key, ...targets.map((t) => `${t.topic}:${t.partition}`))
    },
  }
}
