import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { recordedRanges } from './batch-ranges.ts'
import { loadJobId, type LoadJobData } from './load-job.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * docs/design.md invariant 2 across two queued jobs of one partition. The fetcher queues a batch's
 * job while the one before it (`previous`) may still be loading, so a loader can read and build the
 * batch meanwhile; its loads wait until every row of `previous` is in StarRocks. That is what the
 * partition's "loaded through" mark says: written by the loader once a batch's loads all
 * succeeded, before its job completes, and only ever moved forward.
 *
 * When the mark is missing (a Redis that lost data) the job of `previous` decides: completed, or
 * gone and no longer recorded as a range (so its offset was committed), means loaded.
 */
export type BatchOrder = {
  /** Every row of `data`'s batch is in StarRocks (or quarantined). */
  loaded(data: LoadJobData): Promise<void>
  /**
   * `go` once the batch before `data`'s is loaded; `later` when it is not being loaded now
   * (waiting, held, retrying later): the caller gives its worker slot back and tries again later.
   */
  whenPreviousLoaded(data: LoadJobData): Promise<'go' | 'later'>
  close(): void
}

const pollMs = 250

// Moves the mark forward only: an older attempt of an earlier batch (a worker frozen past its lock)
// finishing late must not move it back. Same epoch compares offsets; a newer epoch replaces it.
const markIfAhead = `local now = redis.call('GET', KEYS[1])
if now then
  local sep = string.find(now, ':', 1, true)
  local epoch = tonumber(string.sub(now, 1, sep - 1))
  local offset = string.sub(now, sep + 1)
  local newEpoch = tonumber(ARGV[1])
  if epoch > newEpoch then return 0 end
  if epoch == newEpoch and (#offset > #ARGV[2] or (#offset == #ARGV[2] and offset >= ARGV[2])) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 1`

export function batchOrder(connection: Redis, keys: RedisKeys, queue: Queue<LoadJobData>): BatchOrder {
  const partitionOf = (d: LoadJobData) => `${d.instance}/${d.topic}/${d.partition}`
  const waiters = new Map<string, Set<() => void>>()
  let subscriber: Redis | null = null
  const subscribe = () => {
    if (subscriber) return
    subscriber = connection.duplicate()
    subscriber.on('message', (_channel: string, partition: string) => {
      for (const wake of waiters.get(partition) ?? []) wake()
    })
    void subscriber.subscribe(keys.batchLoadedChannel).catch(() => {})
  }

  /** Whether the mark has passed `previous`. */
  async function marked(d: LoadJobData): Promise<boolean> {
    const now = await connection.get(keys.loadedThrough(d.instance, d.topic, d.partition))
    if (!now || !d.previous) return false
    const [epoch, offset] = now.split(':')
    return Number(epoch) === d.epoch && BigInt(offset!) >= BigInt(d.previous.lastOffset)
  }

  /** Without the mark: what the job of `previous` says. */
  async function previousState(d: LoadJobData): Promise<'loaded' | 'loading' | 'not-now'> {
    const previous = { ...d, ...d.previous! }
    const state = await queue.getJobState(loadJobId(previous))
    if (state === 'completed') return 'loaded'
    if (state === 'active') return 'loading'
    if (state !== 'unknown') return 'not-now'
    // Removed after it completed, or lost with Redis' data: its range tells which.
    const recorded = await recordedRanges(connection, keys, d.instance, d.topic, d.partition)
    const stillRecorded = recorded.some((r) => r.epoch === d.epoch && r.firstOffset === d.previous!.firstOffset && r.lastOffset === d.previous!.lastOffset)
    return stillRecorded ? 'not-now' : 'loaded'
  }

  return {
    async loaded(d) {
      await connection.eval(markIfAhead, 2, keys.loadedThrough(d.instance, d.topic, d.partition), keys.batchLoadedChannel, String(d.epoch), d.lastOffset, partitionOf(d))
    },
    async whenPreviousLoaded(d) {
      if (!d.previous) return 'go'
      subscribe()
      const partition = partitionOf(d)
      for (;;) {
        let wake = () => {}
        const woken = new Promise<void>((resolve) => (wake = resolve))
        const set = waiters.get(partition) ?? new Set()
        waiters.set(partition, set.add(wake))
        try {
          if (await marked(d)) return 'go'
          const state = await previousState(d)
          if (state === 'loaded') return 'go'
          if (state === 'not-now') return 'later'
          let timer: NodeJS.Timeout | undefined
          await Promise.race([woken, new Promise((resolve) => (timer = setTimeout(resolve, pollMs)))])
          clearTimeout(timer)
        } finally {
          set.delete(wake)
          if (set.size === 0) waiters.delete(partition)
        }
      }
    },
    close() {
      subscriber?.disconnect()
    },
  }
}
