import type { QuarantineItem } from '../src/instance-activity.ts'
import { instanceActivity } from '../src/instance-activity.ts'
import { instanceStore } from '../src/instance-store.ts'
import { createStreamLoadClient, type LoadOutcome } from '../src/stream-load-client.ts'
import { PermanentLoadError, RetryableLoadError } from '../src/stream-load-errors.ts'
import type { AdminOptions } from './context.ts'
import { ApiError, conflict, notFound } from './errors.ts'

/**
 * Replays a quarantined Stream Load body to its target table, after the operator fixed the cause.
 * The label is the item's own plus `-r<n>`, where n counts the item's replays that loaded: a replay
 * whose answer got lost and is pressed again reuses its label, so StarRocks answers "already loaded"
 * (FINISHED) instead of loading the rows twice; a failed one frees its label (ABORTED) for the next try.
 */
export type ReplayResult = { label: string; outcome: LoadOutcome }

const maxLabel = 128
// Labels of load-label.ts end in '-' and a 20-hex hash: cut the readable head, never the hash.
const hashTail = 21
const replayLabelWaitMs = 30_000

export function replayLabel(label: string, n: number): string {
  const suffix = `-r${n}`
  if (label.length + suffix.length <= maxLabel) return label + suffix
  return label.slice(0, maxLabel - suffix.length - hashTail) + label.slice(-hashTail) + suffix
}

/** Only Stream Load rows can be loaded again as they are; raw messages must be mapped first. */
export function holdsRows(item: QuarantineItem): boolean {
  return item.label !== undefined && item.payloadKind === 'rows'
}

export function quarantineReplayer(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const activity = instanceActivity(opts.redis, opts.keys)

  return async function replay(instance: string, item: QuarantineItem): Promise<ReplayResult> {
    if (!holdsRows(item)) {
      throw conflict('this item holds raw Kafka messages, not target rows; replaying raw messages is not supported yet')
    }
    const dot = item.table.indexOf('.')
    if (dot <= 0) throw conflict(`this item names no target table (${JSON.stringify(item.table)})`)
    const stored = await store.getInstance(instance)
    if (!stored) throw notFound(`instance ${instance} (its StarRocks settings are needed to replay)`)
    const { config } = stored
    const lock = opts.keys.replayLock(instance, item.id)
    const lockMs = config.loadTimeoutMs + replayLabelWaitMs + 10_000
    if ((await opts.redis.set(lock, '1', 'PX', lockMs, 'NX')) !== 'OK') throw conflict('a replay of this item is already running')
    const label = replayLabel(item.label!, (await activity.replayCount(instance, item.id)) + 1)
    const client = createStreamLoadClient(
      { feHost: config.feHost, feHttpPort: config.feHttpPort, user: config.userName, password: config.passWord },
      { timeoutMs: config.loadTimeoutMs, strictMode: config.strictMode, labelWaitMs: replayLabelWaitMs },
    )
    try {
      const outcome = await client.load({ database: item.table.slice(0, dot), table: item.table.slice(dot + 1), label, body: Buffer.from(item.payload) })
      await activity.replayed(instance, item, outcome.loadedRows)
      return { label, outcome }
    } catch (err) {
      if (err instanceof PermanentLoadError) {
        throw new ApiError(400, `StarRocks refused the replay: ${err.message}`, { label, status: err.status, reason: err.reason, rejectedRows: err.rejectedRows })
      }
      if (err instanceof RetryableLoadError) throw new ApiError(502, `StarRocks did not load the replay: ${err.message}`, { label, status: err.status })
      throw err
    } finally {
      await client.close()
      await opts.redis.del(lock)
    }
  }
}
