import type { Admin } from 'kafkajs'
import type { Redis } from 'ioredis'
import { readLag } from '../observe/consumer-lag.ts'
import { lagPublishMs, readLagRecord, writeLagRecord, type PartitionProgress } from '../observe/lag-record.ts'
import { recordMinuteLag } from '../observe/minute-series.ts'
import type { Logger } from '../observe/logger.ts'
import type { RedisKeys } from '../redis-keys.ts'
import type { BufferedMessage } from './partition-batcher.ts'

/**
 * Every few seconds, and soon after each commit, the fetcher writes what it knows of its instance's
 * lag (lag-record.ts): offsets from Kafka over the admin client it already holds, and the `es` of
 * each partition's oldest unloaded message from its own buffers, parsed once per message that
 * becomes the oldest. Nothing here runs per message.
 */
export type LagSource = {
  /** The oldest message of the partition not committed yet that this fetcher holds, if any. */
  oldest(topic: string, partition: number): BufferedMessage | null
  inFlight(topic: string, partition: number): boolean
}

export type LagPublisherDeps = {
  redis: Redis
  keys: RedisKeys
  admin: Admin
  instance: string
  groupId: string
  topics: string[]
  node: string
  epoch: number
  /** When an operator last started the instance: a wait never counts from before it. */
  startedAt: number
  /** The binlog time of a raw message in the instance's format. */
  eventTime(value: Buffer | null): number | null
  source: LagSource
  log: Logger
}

/** The shortest time between two publishes that commits asked for. */
const commitRefreshMs = 250

export type LagPublisher = {
  /** An offset was committed: publish soon. */
  committed(): void
  stop(): Promise<void>
}

export async function startLagPublisher(d: LagPublisherDeps): Promise<LagPublisher> {
  // A fetcher taking over a stuck instance keeps counting from when it got stuck.
  const previous = await readLagRecord(d.redis, d.keys, d.instance).catch(() => null)
  let waitingSince = previous?.waitingSince != null ? Math.max(previous.waitingSince, d.startedAt) : null
  let lastCommitted: string | undefined
  const times = new Map<string, { offset: string; es: number | null }>()

  function oldestEs(topic: string, partition: number): number | null {
    const m = d.source.oldest(topic, partition)
    if (!m) return null
    const key = `${topic}:${partition}`
    const known = times.get(key)
    if (known?.offset === m.offset) return known.es
    const es = d.eventTime(m.value)
    times.set(key, { offset: m.offset, es })
    return es
  }

  async function publish(): Promise<void> {
    const lag = await readLag(d.admin, d.groupId, d.topics)
    const now = Date.now()
    const partitions: PartitionProgress[] = lag.map((p) => ({ ...p, oldestEs: oldestEs(p.topic, p.partition), inFlight: d.source.inFlight(p.topic, p.partition) }))
    const committed = lag.map((p) => p.committed).join(',')
    if (lag.every((p) => BigInt(p.lag) <= 0n)) waitingSince = null
    else if (waitingSince === null || (lastCommitted !== undefined && committed !== lastCommitted)) waitingSince = now
    lastCommitted = committed
    await writeLagRecord(d.redis, d.keys, d.instance, { node: d.node, epoch: d.epoch, at: now, waitingSince, partitions })
    await recordMinuteLag(d.redis, d.keys, d.instance, partitions, now)
  }

  // Besides every lagPublishMs, soon after a commit: the console then shows a load at once, not up
  // to lagPublishMs later. One publish at a time; one that a commit may have raced is followed by
  // another.
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let due = Infinity
  let publishing: Promise<void> | null = null
  let committedDuring = false
  let lastAt = 0
  function publishAt(at: number): void {
    if (stopped || publishing || at >= due) return
    clearTimeout(timer)
    due = at
    timer = setTimeout(tick, Math.max(0, at - Date.now()))
  }
  function tick(): void {
    due = Infinity
    committedDuring = false
    publishing = publish()
      .catch((err: Error) => d.log.debug({ err: err.message }, 'could not publish the lag'))
      .finally(() => {
        publishing = null
        lastAt = Date.now()
        publishAt(lastAt + (committedDuring ? commitRefreshMs : lagPublishMs))
      })
  }
  tick()
  return {
    committed() {
      if (publishing) committedDuring = true
      else publishAt(lastAt + commitRefreshMs)
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await publishing
    },
  }
}
