import type { QuarantineItem } from '../src/instances/instance-activity.ts'
import { instanceActivity } from '../src/instances/instance-activity.ts'
import { instanceStore, type StoredInstance } from '../src/instances/instance-store.ts'
import { decodeKey, decodeValue, type KafkaValue, type LoadBatch } from '../src/jobs/load-job.ts'
import { createStreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { loadBatch } from '../workers/load-batch.ts'
import { closeLoadContext, createLoadContext } from '../workers/load-context.ts'
import { PermanentLoadError, RetryableLoadError } from '../src/starrocks/stream-load-errors.ts'
import type { AdminOptions } from './context.ts'
import { ApiError, conflict, notFound } from './errors.ts'

/**
 * Replays a quarantined item after the operator fixed the cause. Rows StarRocks refused go again
 * under the item's label plus `-r<n>`, where n counts the item's replays that loaded: a replay
 * whose answer got lost and is pressed again reuses its label, so StarRocks answers "already loaded"
 * (FINISHED) instead of loading the rows twice; a failed one frees its label (ABORTED) for the next
 * try. Source messages kept because their target table was missing go through the current mapping
 * again, as the batch they came from, under its original labels.
 */
export type ReplayResult = { label: string; status: string; loadedRows: number; txnId: number | null; loadTimeMs: number }

const maxLabel = 128
// Labels of load-label.ts end in '-' and a 20-hex hash: cut the readable head, never the hash.
const hashTail = 21
const replayLabelWaitMs = 30_000

export function replayLabel(label: string, n: number): string {
  const suffix = `-r${n}`
  if (label.length + suffix.length <= maxLabel) return label + suffix
  return label.slice(0, maxLabel - suffix.length - hashTail) + label.slice(-hashTail) + suffix
}

/** Rows load again as they are, source messages through the mapping; an unreadable message cannot. */
export function replayable(item: QuarantineItem): boolean {
  return item.label !== undefined && item.table.includes('.') && (item.payloadKind === 'rows' || item.payloadKind === 'messages')
}

export function quarantineReplayer(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const activity = instanceActivity(opts.redis, opts.keys)

  async function replay(instance: string, item: QuarantineItem): Promise<ReplayResult> {
    if (!replayable(item)) throw conflict('this message could not be read at all: there is nothing to load again; discard it once you have looked at it')
    const stored = await store.getInstance(instance)
    if (!stored) throw notFound(`instance ${instance} (its StarRocks settings are needed to replay)`)
    const lock = opts.keys.replayLock(instance, item.id)
    const lockMs = stored.config.loadTimeoutMs + replayLabelWaitMs + 10_000
    if ((await opts.redis.set(lock, '1', 'PX', lockMs, 'NX')) !== 'OK') throw conflict('a replay of this item is already running')
    try {
      return item.payloadKind === 'rows' ? await replayRows(stored, instance, item) : await replayMessages(stored, instance, item)
    } finally {
      await opts.redis.del(lock)
    }
  }

  async function replayMessages(stored: StoredInstance, instance: string, item: QuarantineItem): Promise<ReplayResult> {
    const env = await store.getMappingEnv(stored.config.mappingEnv)
    if (!env) throw conflict(`mapping environment ${stored.config.mappingEnv} does not exist`)
    const messages = (JSON.parse(item.payload) as KafkaValue[]).map((m) => ({ offset: m.offset, key: decodeKey(m), value: decodeValue(m) }))
    const job: LoadBatch = {
      instance,
      epoch: item.epoch ?? stored.epoch,
      topic: item.topic,
      partition: item.partition,
      firstOffset: item.firstOffset,
      lastOffset: item.lastOffset,
      messageCount: messages.length,
      messages,
    }
    const ctx = createLoadContext(stored, env, activity, 1)
    const started = Date.now()
    try {
      const result = await loadBatch(job, ctx)
      // Refused again: loadBatch has put the refusal back under the same id, with today's reason.
      if (result.quarantinedRows > 0) {
        const again = await activity.quarantinedItem(instance, item.id)
        throw new ApiError(400, `still refused: ${again?.reason ?? 'see the quarantine'}`, { reason: again?.reason })
      }
      await activity.replayed(instance, item, result.loadedRows)
      return { label: item.label!, status: 'Success', loadedRows: result.loadedRows, txnId: null, loadTimeMs: Date.now() - started }
    } catch (err) {
      if (err instanceof ApiError) throw err
      // Whatever else went wrong happened upstream (StarRocks' HTTP or MySQL port): worth a retry.
      const status = err instanceof RetryableLoadError ? err.status : undefined
      throw new ApiError(502, `StarRocks did not load the replay: ${(err as Error).message}`, { status })
    } finally {
      await closeLoadContext(ctx)
    }
  }

  async function replayRows(stored: StoredInstance, instance: string, item: QuarantineItem): Promise<ReplayResult> {
    const { config } = stored
    const dot = item.table.indexOf('.')
    const label = replayLabel(item.label!, (await activity.replayCount(instance, item.id)) + 1)
    const client = createStreamLoadClient(
      { feHost: config.feHost, feHttpPort: config.feHttpPort, user: config.userName, password: config.passWord },
      { timeoutMs: config.loadTimeoutMs, strictMode: config.strictMode, labelWaitMs: replayLabelWaitMs },
    )
    try {
      const outcome = await client.load({ database: item.table.slice(0, dot), table: item.table.slice(dot + 1), label, body: Buffer.from(item.payload), columns: item.columns })
      await activity.replayed(instance, item, outcome.loadedRows)
      return { label, status: outcome.status, loadedRows: outcome.loadedRows, txnId: outcome.txnId, loadTimeMs: outcome.loadTimeMs }
    } catch (err) {
      if (err instanceof PermanentLoadError) {
        throw new ApiError(400, `StarRocks refused the replay: ${err.message}`, { label, status: err.status, reason: err.reason, rejectedRows: err.rejectedRows })
      }
      if (err instanceof RetryableLoadError) throw new ApiError(502, `StarRocks did not load the replay: ${err.message}`, { label, status: err.status })
      throw err
    } finally {
      await client.close()
    }
  }

  return replay
}
