import type { Redis } from 'ioredis'
import { addLoadedRows } from '../observe/load-rate.ts'
import { addMinuteCounts } from '../observe/minute-series.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * What an instance did and why it is not moving: counters by reason, messages skipped per source
 * table, quarantined items with their reasons, and the loader's last failure. Nothing leaves the
 * data path without landing here (docs/design.md invariant 5).
 */
export type QuarantineItem = {
  /** Deterministic, so a retried job overwrites its own entry instead of adding a second. */
  id: string
  instance: string
  topic: string
  partition: number
  firstOffset: string
  lastOffset: string
  reason: string
  /** Source `db.table` of unreadable input, or target `db.table` of rows StarRocks refused. */
  table: string
  rows: number
  /** The column StarRocks named when it refused this one row. */
  column?: string
  /** The reason as a message code and its parameters, for the console's languages (`reason` is the English). */
  code?: string
  params?: Record<string, string | number>
  /** StarRocks' rejected-row lines, when it gave them. */
  details: string[]
  /**
   * What was refused: `rows`, the Stream Load body for the target; `messages`, the source Kafka
   * messages (a JSON array of `{ offset, value }`) when no rows could be built; `raw`, a message
   * that could not be read at all; `source-row`, one canal row image K2S could not convert for
   * the target (it loads again only through a new message once the cause is fixed).
   */
  payload: string
  payloadKind: 'rows' | 'messages' | 'raw' | 'source-row'
  /** The Stream Load `columns` header the rows need (VARBINARY columns), sent again on replay. */
  columns?: string
  label?: string
  /** The start epoch of the batch, so a replay of raw messages loads under the original labels. */
  epoch?: number
  at: string
}

export type Health = { state: 'ok' | 'retrying'; reason: string; since: string; attempts: number }

export type InstanceActivity = ReturnType<typeof instanceActivity>

export function instanceActivity(redis: Redis, keys: RedisKeys) {
  return {
    /** `where`: the partition of the batch counted, for the per-minute charts. */
    async count(instance: string, counters: Record<string, number>, bySource: Record<string, number> = {}, where?: { topic: string; partition: number }): Promise<void> {
      const tx = redis.multi()
      for (const [name, n] of Object.entries(counters)) if (n !== 0) tx.hincrby(keys.counters(instance), name, n)
      for (const [name, n] of Object.entries(bySource)) if (n !== 0) tx.hincrby(keys.skippedBySource(instance), name, n)
      if (counters.loadedRows) addLoadedRows(tx, keys, instance, counters.loadedRows)
      if (where) addMinuteCounts(tx, keys, instance, where, { rows: counters.loadedRows ?? 0, quarantined: (counters.quarantinedRows ?? 0) + (counters.quarantinedMessages ?? 0) })
      tx.hset(keys.counters(instance), 'lastBatchAt', new Date().toISOString())
      await tx.exec()
    },
    async counters(instance: string): Promise<Record<string, number>> {
      const h = await redis.hgetall(keys.counters(instance))
      return Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'lastBatchAt').map(([k, v]) => [k, Number(v)]))
    },
    /** When the last batch finished loading; null before the first. */
    async lastBatchAt(instance: string): Promise<string | null> {
      return redis.hget(keys.counters(instance), 'lastBatchAt')
    },
    async skippedBySource(instance: string): Promise<Record<string, number>> {
      const h = await redis.hgetall(keys.skippedBySource(instance))
      return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]))
    },
    async quarantine(items: QuarantineItem[]): Promise<void> {
      if (items.length === 0) return
      const tx = redis.multi()
      for (const item of items) tx.hset(keys.quarantine(item.instance), item.id, JSON.stringify(item))
      await tx.exec()
    },
    async quarantined(instance: string): Promise<QuarantineItem[]> {
      const h = await redis.hgetall(keys.quarantine(instance))
      return Object.values(h)
        .map((text) => JSON.parse(text) as QuarantineItem)
        .sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id))
    },
    async quarantinedItem(instance: string, id: string): Promise<QuarantineItem | null> {
      const text = await redis.hget(keys.quarantine(instance), id)
      return text ? (JSON.parse(text) as QuarantineItem) : null
    },
    async quarantineSize(instance: string): Promise<number> {
      return redis.hlen(keys.quarantine(instance))
    },
    /** An operator's discard: the item goes, and the counters keep that it went (never silently). */
    async discard(instance: string, item: QuarantineItem): Promise<boolean> {
      const [[, removed] = []] = (await redis.multi().hdel(keys.quarantine(instance), item.id).exec()) ?? []
      if (removed === 1) await redis.multi().hincrby(keys.counters(instance), 'discardedItems', 1).hincrby(keys.counters(instance), 'discardedRows', item.rows).exec()
      return removed === 1
    },
    /** Successful replays of an item so far; the next one loads under a label nobody used yet. */
    async replayCount(instance: string, id: string): Promise<number> {
      return Number((await redis.hget(keys.quarantineReplays(instance), id)) ?? 0)
    },
    async replayed(instance: string, item: QuarantineItem, loadedRows: number): Promise<void> {
      await redis
        .multi()
        .hdel(keys.quarantine(instance), item.id)
        .hincrby(keys.quarantineReplays(instance), item.id, 1)
        .hincrby(keys.counters(instance), 'replayedItems', 1)
        .hincrby(keys.counters(instance), 'replayedRows', loadedRows)
        .exec()
    },
    /** A deleted instance's counters and health go; its quarantine stays until someone looks at it. */
    async forget(instance: string): Promise<void> {
      await redis.del(keys.counters(instance), keys.skippedBySource(instance), keys.health(instance), keys.lag(instance), keys.fetcherReport(instance))
    },
    /** Every failed attempt (load or fetcher start) also counts in `failedAttempts`, which, unlike `attempts`, never resets. */
    async failing(instance: string, reason: string): Promise<void> {
      const key = keys.health(instance)
      await redis
        .multi()
        .hsetnx(key, 'since', new Date().toISOString())
        .hset(key, 'state', 'retrying', 'reason', reason)
        .hincrby(key, 'attempts', 1)
        .hincrby(keys.counters(instance), 'failedAttempts', 1)
        .exec()
    },
    /** A fetcher that could not start or reach what it needs: counted, its reason is in the fetcher report. */
    async attemptFailed(instance: string): Promise<void> {
      await redis.hincrby(keys.counters(instance), 'failedAttempts', 1)
    },
    async healthy(instance: string): Promise<void> {
      await redis.del(keys.health(instance))
    },
    async health(instance: string): Promise<Health> {
      const h = await redis.hgetall(keys.health(instance))
      if (h.state !== 'retrying') return { state: 'ok', reason: '', since: '', attempts: 0 }
      return { state: 'retrying', reason: h.reason ?? '', since: h.since ?? '', attempts: Number(h.attempts ?? 0) }
    },
  }
}
