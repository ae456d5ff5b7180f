import type { InstanceActivity } from '../instances/instance-activity.ts'
import { say } from '../messages.ts'
import type { FetcherPhase, FetcherReports } from '../instances/fetcher-report.ts'
import type { StoredInstance } from '../instances/instance-store.ts'
import { startInstanceFetcher, type InstanceFetcher, type InstanceFetcherDeps } from './instance-fetcher.ts'
import { probeKafka, probeStarRocks, type Unreachable } from './reachability.ts'

/**
 * Keeps the fetcher of one instance running on the node that holds its lease, and reports what it
 * does (fetcher-report.ts): `connecting` until its consumer joined the group and fetched,
 * `fetching` while it does, `retrying` with the reason within seconds when Kafka or the StarRocks
 * FE cannot be reached, when it cannot start, or when it crashed. It never gives the lease up on a
 * failure: it tries again here, with backoff, so the instance stays with one node and one state
 * while the cause lasts, instead of hopping between nodes and states.
 */
export type SupervisorDeps = Omit<InstanceFetcherDeps, 'onCrash' | 'onTopicsChanged'> & {
  reports: FetcherReports
  activity: InstanceActivity
  timing?: Partial<SupervisorTiming>
}

export type SupervisorTiming = {
  /** How often progress is looked at. */
  tickMs: number
  /** No fetch for this long, once joined, is worth a look at why (a rejoin takes a few seconds). */
  quietMs: number
  /** Not joined and fetched this long after starting: say why. */
  joinMs: number
  /** How often the StarRocks FE is probed while things run. */
  starRocksEveryMs: number
  backoffMs: number
  backoffMaxMs: number
}

const defaults: SupervisorTiming = { tickMs: 1_000, quietMs: 6_000, joinMs: 10_000, starRocksEveryMs: 5_000, backoffMs: 1_000, backoffMaxMs: 10_000 }

export type FetcherSupervisor = { stop(): Promise<void> }

export function superviseFetcher(stored: StoredInstance, deps: SupervisorDeps): FetcherSupervisor {
  const timing = { ...defaults, ...deps.timing }
  const { config } = stored
  const name = config.name
  const log = deps.log.child({ instance: name })
  let stopped = false
  let fetcher: InstanceFetcher | null = null
  let wake: (() => void) | null = null
  let last = ''

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { wake = null; resolve() }, ms)
    wake = () => { clearTimeout(timer); wake = null; resolve() }
  })

  let fetchedOnce = false

  /** True when this changed what was reported. */
  async function report(phase: FetcherPhase, why?: Unreachable): Promise<boolean> {
    const reason = why?.message ?? ''
    // Written on a change only: the state stays put, and Redis is not written every second.
    const key = `${phase}\n${why?.code ?? ''}\n${reason}`
    if (key === last) return false
    last = key
    if (phase === 'retrying') log.warn({ err: reason, code: why?.code }, 'fetcher retrying')
    else if (phase === 'fetching') log.info('fetcher joined the consumer group and fetches')
    await deps.reports.report(name, { node: deps.node, phase, reason, code: why?.code ?? '', params: why?.params ?? {} }).catch((err: Error) => log.warn({ err: err.message }, 'could not write the fetcher report'))
    return true
  }

  // Counted once per cause, not once per look.
  async function failed(why: Unreachable): Promise<void> {
    if (await report('retrying', why)) await deps.activity.attemptFailed(name).catch(() => {})
  }

  /** Runs one fetcher until it crashes or the supervisor stops; resolves with why it ended. */
  async function runOnce(): Promise<Unreachable | null> {
    const kafka = await probeKafka(config, config.topicPattern === '' ? config.topics : [])
    if (kafka) return kafka
    let crashed: Unreachable | null = null
    // The topic pattern matches other topics now: a new fetcher, here and at once, with the lease kept.
    let topicsChanged = false
    try {
      fetcher = await startInstanceFetcher(stored, {
        ...deps,
        onCrash: (err) => {
          crashed ??= say('fetcher.crashed', { error: err.message })
          wake?.()
        },
        onTopicsChanged: () => {
          topicsChanged = true
          wake?.()
        },
        // Reported now, not at the next look: rows can be loaded within that second.
        onFetching: () => wake?.(),
      })
    } catch (err) {
      return say('fetcher.start_failed', { error: (err as Error).message })
    }
    const startedAt = Date.now()
    let probedAt = 0
    try {
      while (!stopped && !crashed && !topicsChanged) {
        const { joinedAt, fetchedAt } = fetcher.progress()
        const now = Date.now()
        const fetching = joinedAt > 0 && fetchedAt > 0 && now - fetchedAt < timing.quietMs
        let why: Unreachable | null = null
        if (!fetching && now - Math.max(startedAt, fetchedAt) >= (fetchedAt > 0 ? timing.quietMs : timing.joinMs)) {
          const quiet = { bootstrap: config.kafkaBootstrap, seconds: Math.round((now - Math.max(startedAt, fetchedAt)) / 1000) }
          why = (await probeKafka(config, config.topicPattern === '' ? config.topics : [])) ?? say(fetchedAt > 0 ? 'kafka.not_fetching' : 'kafka.not_joined', quiet)
        }
        if (!why && now - probedAt >= timing.starRocksEveryMs) {
          probedAt = now
          why = await probeStarRocks(config.feHost, config.feHttpPort)
          if (why) probedAt = 0
        }
        if (why) await failed(why)
        else if (fetching) {
          fetchedOnce = true
          await report('fetching')
        }
        await sleep(timing.tickMs)
      }
      return crashed
    } finally {
      const ending = fetcher
      fetcher = null
      await ending.stop().catch((err: Error) => log.warn({ err: err.message }, 'could not stop the fetcher cleanly'))
    }
  }

  const running = (async () => {
    await deps.reports.begin(name, deps.node).catch(() => {})
    for (let attempt = 0; !stopped; attempt++) {
      fetchedOnce = false
      const why = await runOnce().catch((err: Error): Unreachable => say('fetcher.start_failed', { error: err.message }))
      if (stopped) break
      if (why) await failed(why)
      // A fetcher that ran well before it crashed is tried again soon, not after the longest wait.
      if (fetchedOnce) attempt = 0
      await sleep(Math.min(timing.backoffMs * 2 ** Math.min(attempt, 10), timing.backoffMaxMs))
    }
  })()

  return {
    async stop() {
      stopped = true
      wake?.()
      await running
      await deps.reports.end(name, deps.node).catch(() => {})
    },
  }
}
