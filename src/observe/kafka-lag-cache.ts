import { consumerLag, type KafkaReadTarget, type PartitionLag } from './consumer-lag.ts'

/**
 * Kafka's own lag for the instances no fetcher reports on, so nothing a user lists or scrapes waits
 * on one slow Kafka: each instance is asked at most once per `refreshMs`, one question at a time.
 * An answer younger than `staleMs` is served at once while a newer one is asked for; with none, a
 * caller waits at most `waitMs`, then gets the last answer marked stale (or none), while the
 * question runs on to its own bounded timeout and refreshes the cache.
 */
export type KafkaLagAnswer = {
  lag: PartitionLag[] | null
  /** Not from the question asked for this call: older, or none because Kafka did not answer in time. */
  stale: boolean
  /** When the answer was read from Kafka (ms), if there is one. */
  at: number | null
  /** Why the last question failed, when it did. */
  error: string | null
}

/** `key` names what is read (brokers, topics, user): a new key makes the cached answer someone else's. */
export type LagSource = { key: string; groupId: string; target: () => Promise<KafkaReadTarget | null> }
type Entry = { asked: number; key: string; last: { lag: PartitionLag[]; at: number } | null; error: string | null; pending: Promise<void> | null }

export function kafkaLagCache(opts: { refreshMs?: number; staleMs?: number; timeoutMs?: number; read?: typeof consumerLag } = {}) {
  const refreshMs = opts.refreshMs ?? 10_000
  const staleMs = opts.staleMs ?? 3 * refreshMs
  const timeoutMs = opts.timeoutMs ?? 8_000
  const read = opts.read ?? consumerLag
  const entries = new Map<string, Entry>()

  function ask(entry: Entry, source: LagSource): Promise<void> {
    entry.asked = Date.now()
    return (entry.pending = source
      .target()
      .then((target) => (target ? read(target, source.groupId, timeoutMs) : Promise.reject(new Error('the instance is gone'))))
      .then((lag) => {
        entry.last = { lag, at: Date.now() }
        entry.error = null
      })
      .catch((err: Error) => {
        entry.error = err.message
      })
      .finally(() => {
        entry.pending = null
      }))
  }

  return {
    /** `now`: ask Kafka for this call (unless a question is already under way) and wait for it. */
    async get(name: string, source: LagSource, waitMs: number, now = false): Promise<KafkaLagAnswer> {
      const key = source.key
      let entry = entries.get(name)
      // A changed bootstrap or topic list makes the old answer someone else's.
      if (!entry || entry.key !== key) entries.set(name, (entry = { asked: 0, key, last: null, error: null, pending: null }))
      const since = Date.now()
      const youngerThan = (ms: number) => entry.last !== null && entry.last.at >= since - ms
      if (!youngerThan(now ? 0 : refreshMs) && !entry.pending) void ask(entry, source)
      const good = () => youngerThan(now ? 0 : staleMs)
      if (!good() && entry.pending) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([entry.pending, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
        clearTimeout(timer)
      }
      return { lag: entry.last?.lag ?? null, stale: !good(), at: entry.last?.at ?? null, error: good() ? null : entry.error }
    },
    forget(name: string) {
      entries.delete(name)
    },
  }
}
