import { randomUUID } from 'node:crypto'
import type { Admin, EachBatchPayload } from 'kafkajs'
import type { Redis } from 'ioredis'
import { batchRanges } from '../jobs/batch-ranges.ts'
import { formatReader } from '../formats/change-format.ts'
import type { StoredInstance } from '../instances/instance-store.ts'
import type { Logger } from '../observe/logger.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { kafkaClient } from './kafka-client.ts'
import { holdBack, PartitionBatcher } from './partition-batcher.ts'
import { startLagPublisher, type LagPublisher } from './lag-publisher.ts'
import { startPartitionLoop, type PartitionLoop } from './partition-loop.ts'
import { resetPlan } from './reset-plan.ts'
import { startPosition } from './start-position.ts'
import { topicsToRead } from './topic-pattern.ts'
import type { JobWaiter } from './job-waiter.ts'

/**
 * The fetcher of one instance: one Kafka consumer group (`k2s-<instance>`), one batcher per
 * assigned partition, at most two jobs per partition queued (the second loads after the first),
 * and the partition's offset committed only after its jobs completed (docs/design.md invariants 1,
 * 2, 4).
 *
 * Any rebalance starts every partition afresh from its committed offset and its recorded range:
 * kafkajs re-fetches from the committed offset after a rejoin anyway, and a partition we may no
 * longer own must never be committed by us.
 */
export type InstanceFetcherDeps = {
  redis: Redis
  keys: RedisKeys
  waiter: JobWaiter
  /**
   * This node's name: batches are cut only while it holds the instance's lease, and the lag it
   * publishes names it.
   */
  node: string
  /**
   * This fetcher is dead: its Kafka consumer crashed and kafkajs will not restart it, or it can no
   * longer record batch ranges.
   */
  onCrash(err: Error): void
  /**
   * The instance's topicPattern now matches other topics: start the fetcher again (the consumer
   * group then rebalances onto them; every partition continues from its committed offset).
   */
  onTopicsChanged(): void
  /** The first fetch after joining the group: the consumer runs, worth saying at once. */
  onFetching?(): void
  log: Logger
}

/** How often a topicPattern is matched against Kafka's topics again: new topics are read within a minute. */
const topicRefreshMs = 30_000

/**
 * `joinedAt`: when the consumer last joined its group (0: not yet); `fetchedAt`: when Kafka last
 * answered a fetch, paused partitions included (kafkajs then waits and reports an empty fetch).
 * A consumer that is joined and fetches is what `running` means (fetcher-supervisor.ts).
 */
export type FetchProgress = { joinedAt: number; fetchedAt: number }

export type InstanceFetcher = { stop(): Promise<void>; progress(): FetchProgress }

export async function startInstanceFetcher(stored: StoredInstance, deps: InstanceFetcherDeps): Promise<InstanceFetcher> {
  const { config, epoch } = stored
  const log = deps.log.child({ instance: config.name })
  const groupId = `k2s-${config.name}`
  const kafka = kafkaClient(config, { kind: 'fetcher', clientId: `k2s-${config.name}` })
  const reader = formatReader(config.format, { timeZone: config.timeZone })
  const ranges = batchRanges(deps.redis, deps.keys, config.name, deps.node)
  const admin = kafka.admin()
  await admin.connect()
  let topics: string[]
  let discovered: Set<string>
  try {
    ;({ topics, discovered } = await subscribedTopics(admin))
  } catch (err) {
    await admin.disconnect()
    throw err
  }
  // An operator's E-B/L-B start moves every topic it reads, the pattern's too.
  const resets = stored.resetPending ? resetPlan(deps.redis, deps.keys, { ...config, topics }, epoch) : null
  try {
    await resets?.prepare(admin)
  } catch (err) {
    await admin.disconnect()
    throw err
  }

  /**
   * The topics to read: the list, or what the pattern matches now. A topic the pattern matched only
   * after the instance was running was created since: all of it is new, so it is read from its
   * earliest offset whatever the policy (an L- policy would skip what canal wrote before the next
   * look at the topic list).
   */
  async function subscribedTopics(client: Admin): Promise<{ topics: string[]; discovered: Set<string> }> {
    if (config.topicPattern === '') return { topics: config.topics, discovered: new Set() }
    const matched = topicsToRead(config, await client.listTopics())
    return { topics: matched, discovered: new Set(await deps.redis.smembers(deps.keys.discoveredTopics(config.name))) }
  }

  const consumer = kafka.consumer({
    groupId,
    // Kafka hands a dead fetcher's partitions to another member after this long; with the
    // instance lease (15 s by default) it bounds how long a node failure stalls an instance.
    sessionTimeout: 10_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    // Also how long kafkajs sleeps when every partition is paused, even if one is resumed
    // meanwhile: kept short, so a partition resumed after a commit refills at once.
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  })
  let generation = 0
  let running = true
  let partitions = new Map<string, Promise<OpenPartition>>()
  /** The partitions of this generation that are open, for the lag publisher. */
  let opened = new Map<string, OpenPartition>()
  let resetting: Promise<void> = Promise.resolve()
  // Started once the consumer runs; commits come after a job completed, so after it.
  let lag: LagPublisher | undefined
  // Each generation of this fetcher takes the range fence before it reads any recorded range, so a
  // loop of an older generation (or of a fetcher this node ran before) can record none after that.
  const incarnation = randomUUID()
  const fenceOf = (g: number) => `${deps.node}/${incarnation}/${g}`
  let fencing: Promise<void> = Promise.resolve()

  async function takeFence(g: number): Promise<void> {
    // A newer generation takes the fence itself; an older attempt must not overwrite it.
    while (running && generation === g) {
      try {
        // Without the lease the fence stays with the holder; this generation's records then fail.
        await ranges.fence(fenceOf(g))
        return
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not take the range fence yet, retrying')
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    }
  }

  const progress: FetchProgress = { joinedAt: 0, fetchedAt: 0 }
  consumer.on(consumer.events.FETCH, () => {
    if (progress.joinedAt === 0) return
    const first = progress.fetchedAt < progress.joinedAt
    progress.fetchedAt = Date.now()
    if (first) deps.onFetching?.()
  })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    progress.joinedAt = Date.now()
    generation++
    fencing = takeFence(generation)
    const old = partitions
    partitions = new Map()
    opened = new Map()
    for (const open of old.values()) void open.then((p) => p.loop.abandon())
    // kafkajs keeps a pause across a rebalance, but the loop that would resume it is gone: a
    // partition paused then would never be fetched again, and its partition never opened.
    consumer.resume(Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions })))
    if (resets) resetting = applyResets(payload.memberAssignment)
  })

  // Committed as the group member that owns the partitions, then sought: a partition with nothing
  // new at its old offset would otherwise never be fetched, so never moved.
  async function applyResets(assigned: Record<string, number[]>): Promise<void> {
    for (;;) {
      try {
        const targets = (await resets?.pending(assigned)) ?? []
        if (targets.length === 0) return
        await consumer.commitOffsets(targets)
        await resets?.applied(targets)
        for (const t of targets) consumer.seek(t)
        log.info({ targets }, `${config.consumerPolicy} start: offsets moved`)
        return
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not apply the start policy yet, retrying')
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    }
  }
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ err: e.payload.error.message, restart: e.payload.restart }, 'kafka consumer crashed')
    // kafkajs gives up for good on errors it deems fatal, e.g. no group coordinator while a
    // broker restarts: without a new fetcher the instance would look running and never move.
    if (!e.payload.restart) deps.onCrash(e.payload.error)
  })

  type OpenPartition = { batcher: PartitionBatcher; loop: PartitionLoop; sought: boolean }

  async function openPartition(topic: string, partition: number): Promise<OpenPartition> {
    const mine = generation
    await fencing
    await resetting
    const { start, replay } = await startPosition(
      {
        ranges: () => ranges.list(topic, partition),
        committed: () => committedOffset(admin, groupId, topic, partition),
        async clear(range) {
          await ranges.clear(topic, partition, range)
          // Cut ahead of a batch that loaded, its frame may be in Redis with no job to read it.
          await deps.waiter.forget({ instance: config.name, topic, partition, ...range })
        },
      },
      epoch,
    )
    // Start exactly there: never trust a fetch position carried over from before a rebalance.
    if (start !== null) consumer.seek({ topic, partition, offset: String(start) })
    const batcher = new PartitionBatcher({ maxRows: config.commitBatch, maxBytes: config.maxBatchBytes, maxWaitMs: config.commitTimeout }, start ?? -1n, replay)
    const loop = startPartitionLoop({
      instance: config.name,
      epoch,
      topic,
      partition,
      batcher,
      ranges,
      fence: fenceOf(mine),
      waiter: deps.waiter,
      commit: async (offset) => {
        await consumer.commitOffsets([{ topic, partition, offset }])
        lag?.committed()
      },
      resume: () => consumer.resume([{ topic, partitions: [partition] }]),
      isCurrent: () => running && generation === mine,
      restart: (why) => deps.onCrash(new Error(why)),
      log,
    })
    const open = { batcher, loop, sought: start !== null }
    if (generation === mine) opened.set(`${topic}:${partition}`, open)
    return open
  }

  async function eachBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`
    let opening = partitions.get(key)
    if (!opening) {
      opening = openPartition(batch.topic, batch.partition)
      partitions.set(key, opening)
      // A failed open (Kafka or Redis briefly away) is tried again with the next batch.
      opening.catch(() => partitions.get(key) === opening && partitions.delete(key))
    }
    const open = await opening
    if (open.sought) {
      // This batch came from the old fetch position; Kafka hands the partition again from the seek.
      open.sought = false
      return
    }
    const now = Date.now()
    // Resolved once for the batch: kafkajs parses and formats the offset as a Long on every call.
    let last: string | null = null
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break
      open.batcher.push({ offset: m.offset, key: m.key ?? null, value: m.value, rows: reader.rowCount(m.value), bytes: (m.value?.length ?? 0) + (m.key?.length ?? 0), at: now })
      last = m.offset
    }
    if (last !== null) resolveOffset(last)
    open.loop.wake()
    if (holdBack(open.batcher, open.loop.inFlight(), lookAheadBudget / Math.max(1, opened.size), lookAheadBytes(), lookAheadBudget)) consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }])
  }

  // What the partitions may buffer ahead, all together (holdBack).
  const lookAheadBudget = 2 * config.maxBatchBytes
  function lookAheadBytes(): number {
    let bytes = 0
    for (const open of opened.values()) bytes += open.batcher.buffered
    return bytes
  }

  try {
    await consumer.connect()
    const known = topics.filter((t) => !discovered.has(t))
    const fresh = topics.filter((t) => discovered.has(t))
    if (known.length > 0) await consumer.subscribe({ topics: known, fromBeginning: config.consumerPolicy.startsWith('E') })
    if (fresh.length > 0) await consumer.subscribe({ topics: fresh, fromBeginning: true })
    // A pattern that matches nothing yet: no consumer group to join until a topic appears.
    if (topics.length > 0) await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 64, eachBatch })
  } catch (err) {
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()])
    throw err
  }
  lag = await startLagPublisher({
    redis: deps.redis,
    keys: deps.keys,
    admin,
    instance: config.name,
    groupId,
    topics,
    node: deps.node,
    epoch,
    startedAt: stored.startedAt,
    eventTime: reader.eventTime,
    source: {
      oldest: (topic, partition) => opened.get(`${topic}:${partition}`)?.loop.oldest() ?? null,
      inFlight: (topic, partition) => opened.get(`${topic}:${partition}`)?.loop.inFlight() ?? false,
    },
    log,
  })
  log.info({ topics, topicPattern: config.topicPattern || undefined, policy: config.consumerPolicy, epoch }, 'fetcher started')

  let watching: NodeJS.Timeout | undefined
  if (config.topicPattern !== '') {
    const watch = async () => {
      try {
        const now = topicsToRead(config, await admin.listTopics())
        const added = now.filter((t) => !topics.includes(t))
        const removed = topics.filter((t) => !now.includes(t))
        if (running && (added.length > 0 || removed.length > 0)) {
          if (added.length > 0) await deps.redis.sadd(deps.keys.discoveredTopics(config.name), ...added)
          log.info({ added, removed, topicPattern: config.topicPattern }, 'the topics matching the pattern changed; restarting the fetcher')
          deps.onTopicsChanged()
          return
        }
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not list the topics to match the pattern; trying again')
      }
      if (running) watching = setTimeout(watch, topicRefreshMs)
    }
    watching = setTimeout(watch, topicRefreshMs)
  }

  return {
    progress: () => ({ ...progress }),
    async stop() {
      running = false
      clearTimeout(watching)
      for (const open of partitions.values()) void open.then((p) => p.loop.abandon())
      await lag.stop()
      await consumer.disconnect()
      await admin.disconnect()
      log.info('fetcher stopped')
    },
  }
}

async function committedOffset(admin: Admin, groupId: string, topic: string, partition: number): Promise<bigint | null> {
  const [entry] = await retryRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }))
  const offset = entry?.partitions.find((p) => p.partition === partition)?.offset
  // kafkajs' own resets commit -1 (latest) and -2 (earliest): not a position.
  return offset === undefined || BigInt(offset) < 0n ? null : BigInt(offset)
}

/**
 * kafkajs' admin does not retry errors Kafka calls retriable, such as GROUP_LOAD_IN_PROGRESS while
 * a restarted broker loads the offsets topic.
 */
async function retryRetriable<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)))
    }
  }
}
