import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { KafkaReadTarget, PartitionLag } from '../observe/consumer-lag.ts'
import { kafkaLagCache } from '../observe/kafka-lag-cache.ts'
import { instanceActivity, type Health } from './instance-activity.ts'
import { fetcherReports } from './fetcher-report.ts'
import { instanceLeases } from './instance-lease.ts'
import { actualState, type ActualState } from './instance-state.ts'
import type { InstanceView } from './instance-store.ts'
import type { MessageCode, MessageParams } from '../messages.ts'
import { lagFigures, lagStaleMs, partitionSeconds, readLagRecord, type LagFigures, type LagRecord } from '../observe/lag-record.ts'
import { rowsPerSecond } from '../observe/load-rate.ts'
import { nodeRegistry, type NodeStatus } from '../nodes/node-registry.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * An instance as an operator sees it, for the API and /metrics alike: state with its reason, lag
 * in messages and seconds, rows per second, counters. The lag comes from the record the running
 * fetcher publishes (lag-record.ts), so listing instances costs Redis reads only; Kafka is asked
 * directly only for a running instance no fetcher reports on (to see it stall with no node), at
 * most once per `kafkaCacheMs`. A stopped instance's lag is unknown here; GET …/lag asks Kafka.
 */
export type PartitionLagView = PartitionLag & { seconds: number | null }

export type InstanceOverview = {
  runningOn: string | null
  state: ActualState
  /** Why, in English; '' when running or stopped. */
  reason: string
  /** The same reason by code and params (src/messages.ts), for the console to show in its language. */
  reasonCode: MessageCode | null
  reasonParams: MessageParams
  /** Behind with no committed offset moving for this long, while stalled; else 0. */
  stalledForMs: number
  lastLoadAt: string | null
  health: Health
  counters: Record<string, number>
  quarantined: number
  rowsPerSecond: number
  /** `stale`: Kafka was asked and did not answer in time; the figures are its last answer, or none. */
  lag: LagFigures & { stale: boolean }
  partitions: PartitionLagView[] | null
}

/** What every instance of one request shares: read once. */
export type OverviewMoment = { now: number; nodes: NodeStatus[]; queue: () => Promise<{ waiting: number; active: number }> }

const kafkaCacheMs = 10_000
/** How long a list or a scrape waits for Kafka before it answers with what it knows. */
const listWaitMs = 1_000

/** `kafkaOf`: the instance's Kafka connection with its secrets opened, to ask Kafka for its lag. */
export function instanceOverviews(redis: Redis, keys: RedisKeys, queue: Queue, leaseMs: number, kafkaOf: (name: string) => Promise<KafkaReadTarget | null>) {
  const activity = instanceActivity(redis, keys)
  // Only read here: the lease length matters to the nodes that hold them.
  const leases = instanceLeases(redis, keys, 0)
  const reports = fetcherReports(redis, keys)
  const registry = nodeRegistry(redis, keys, leaseMs)
  const fromKafka = kafkaLagCache({ refreshMs: kafkaCacheMs })
  const lagSource = ({ config }: InstanceView) => ({
    key: JSON.stringify([config.kafkaBootstrap, config.topics, config.topicPattern, config.kafkaSecurityProtocol, config.kafkaSaslUser]),
    groupId: `k2s-${config.name}`,
    target: () => kafkaOf(config.name),
  })

  /** Kafka's answer for the lag route: asked now, waited for at most `waitMs`, else the last one, stale. */
  function askKafka(view: InstanceView, waitMs: number) {
    return fromKafka.get(view.config.name, lagSource(view), waitMs, true)
  }

  async function moment(): Promise<OverviewMoment> {
    let counts: Promise<{ waiting: number; active: number }> | undefined
    return {
      now: Date.now(),
      nodes: await registry.list(),
      queue: () => (counts ??= queue.getJobCounts('waiting', 'active').then((c) => ({ waiting: c.waiting ?? 0, active: c.active ?? 0 }))),
    }
  }

  /** The lag record of the fetcher holding the instance's lease, if it is young; else null. */
  async function liveRecord(name: string, now = Date.now()): Promise<LagRecord | null> {
    const [owner, record] = await Promise.all([leases.owner(name), readLagRecord(redis, keys, name)])
    return fresh(record, owner, now)
  }

  async function overview(view: InstanceView, m: OverviewMoment): Promise<InstanceOverview> {
    const name = view.config.name
    const [runningOn, fetcher, health, counters, lastLoadAt, quarantined, rate, record] = await Promise.all([
      leases.owner(name),
      reports.read(name),
      activity.health(name),
      activity.counters(name),
      activity.lastBatchAt(name),
      activity.quarantineSize(name),
      rowsPerSecond(redis, keys, name, m.now),
      readLagRecord(redis, keys, name),
    ])
    const live = fresh(record, runningOn, m.now)
    const kafka = !live && view.desired === 'running' ? await fromKafka.get(name, lagSource(view), listWaitMs) : null
    const partitions: PartitionLagView[] | null = live
      ? live.partitions.map(({ oldestEs, inFlight: _, ...p }) => ({ ...p, seconds: partitionSeconds({ lag: p.lag, oldestEs }, m.now) }))
      : kafka?.lag?.map((p: PartitionLag) => ({ ...p, seconds: BigInt(p.lag) <= 0n ? 0 : null })) ?? null
    const lag = live ? lagFigures(live.partitions, m.now) : lagFigures(partitions?.map((p) => ({ lag: p.lag, oldestEs: null })) ?? null, m.now)
    const noProgressMs = lag.messages ? noProgress(view, live, record, m.now) : 0
    const online = m.nodes.filter((n) => n.online)
    const batchInFlight = live?.partitions.some((p) => p.inFlight) ?? false
    const { state, reason: why } = actualState({
      desired: view.desired,
      owner: runningOn,
      fetcher,
      health,
      lagMessages: lag.messages,
      noProgressMs,
      // Configs are stored as validated, so one saved before the field existed lacks it.
      stallAfterMs: view.config.stallAfterMs,
      fetchersOnline: online.filter((n) => n.roles.includes('fetcher')).length,
      loadersOnline: online.filter((n) => n.roles.includes('loader')).length,
      batchInFlight,
      queue: batchInFlight ? await m.queue() : { waiting: 0, active: 0 },
    })
    return {
      runningOn,
      state,
      reason: why?.message ?? '',
      reasonCode: why?.code ?? null,
      reasonParams: why?.params ?? {},
      stalledForMs: state === 'stalled' ? noProgressMs : 0,
      lastLoadAt,
      health,
      counters,
      quarantined,
      rowsPerSecond: rate,
      lag: { ...lag, stale: kafka?.stale ?? false },
      partitions,
    }
  }

  return { moment, overview, liveRecord, askKafka }
}

function fresh(record: LagRecord | null, owner: string | null, now: number): LagRecord | null {
  return record !== null && owner === record.node && now - record.at < lagStaleMs ? record : null
}

/**
 * How long the instance has been behind without progress. With a live fetcher, what it observed
 * as of its record (counting on from there would call a steady stream stalled between two records
 * when stallAfterMs is short); without one, since the last thing the last fetcher saw, never
 * before the operator's last start.
 */
function noProgress(view: InstanceView, live: LagRecord | null, record: LagRecord | null, now: number): number {
  if (live) return live.waitingSince === null ? 0 : live.at - live.waitingSince
  return now - Math.max(view.startedAt, record ? (record.waitingSince ?? record.at) : 0)
}
