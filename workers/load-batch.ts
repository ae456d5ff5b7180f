import { decodeCanalMessage } from '../src/formats/canal/canal-message.ts'
import { canalScanner } from '../src/formats/canal/canal-scan.ts'
import type { InstanceConfig } from '../src/instances/config.ts'
import type { InstanceActivity, QuarantineItem } from '../src/instances/instance-activity.ts'
import { encodeValue, type LoadBatch, type LoadJobResult } from '../src/jobs/load-job.ts'
import { loadLabel } from '../src/starrocks/load-label.ts'
import { tableRowsBuilder, type TableRowsBuilder } from '../src/rows/row-changes.ts'
import type { SchemaCache } from '../src/starrocks/starrocks-schema.ts'
import type { StreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { PermanentLoadError } from '../src/starrocks/stream-load-errors.ts'
import type { RouteTarget, TableRouter } from '../src/rows/table-mapping.ts'

/**
 * One job: decode → map → rows → one Stream Load per target table → quarantine what StarRocks
 * refuses for good. Throwing means "retry the whole job": tables that already loaded answer
 * `Label Already Exists` on the retry, so nothing lands twice.
 */
export type LoadContext = {
  config: InstanceConfig
  route: TableRouter
  schemas: SchemaCache
  client: StreamLoadClient
  activity: InstanceActivity
  tableConcurrency: number
}

/** A target table's rows of this batch; `rows` null when the table does not exist. */
type TargetRows = { database: string; table: string; rows: TableRowsBuilder | null; offsets: string[]; sourceRows: number }

// A quarantined raw message is kept whole up to this size, so most can be replayed as they came.
const maxQuarantinedBytes = 1024 * 1024

export async function loadBatch(job: LoadBatch, ctx: LoadContext): Promise<LoadJobResult> {
  const counters: Record<string, number> = {}
  const bySource: Record<string, number> = {}
  const quarantine: QuarantineItem[] = []
  const bump = (name: string, n = 1) => (counters[name] = (counters[name] ?? 0) + n)
  const bumpSource = (name: string, n: number) => (bySource[name] = (bySource[name] ?? 0) + n)
  const at = new Date().toISOString()
  const item = (fields: Pick<QuarantineItem, 'id' | 'firstOffset' | 'lastOffset' | 'reason' | 'table' | 'rows' | 'details' | 'payload' | 'payloadKind' | 'label'>): QuarantineItem => ({
    instance: job.instance,
    topic: job.topic,
    partition: job.partition,
    epoch: job.epoch,
    at,
    ...fields,
  })

  // Rows are built as the messages are decoded, so each decoded message is garbage at once.
  const targets = new Map<string, TargetRows>()
  const targetFor = async (route: RouteTarget): Promise<TargetRows> => {
    const key = `${route.database}.${route.table}`
    let target = targets.get(key)
    if (!target) {
      const schema = await ctx.schemas.table(route.database, route.table)
      targets.set(key, (target = { database: route.database, table: route.table, rows: schema && tableRowsBuilder(schema), offsets: [], sourceRows: 0 }))
    }
    return target
  }
  const unmapped = (database: string, table: string, rows: number) => {
    bump('skipped.unmapped', rows)
    bumpSource(`${database}.${table}:unmapped`, rows)
  }
  const scan = canalScanner()
  for (const message of job.messages) {
    // Plain row events go the fast way, from bytes to rows; whatever it declines, decodeCanalMessage
    // and the row builder handle as the reference.
    const scanned = scan(message.value)
    if (scanned) {
      const route = ctx.route(scanned.database, scanned.table)
      if (!route) {
        unmapped(scanned.database, scanned.table, scanned.rows)
        continue
      }
      const target = await targetFor(route)
      if (!target.rows || target.rows.addScanned(scanned, job.partition, message.offset, route)) {
        target.offsets.push(message.offset)
        target.sourceRows += scanned.rows
        continue
      }
    }
    const event = decodeCanalMessage(message.value)
    if (event.kind === 'unreadable') {
      const raw = encodeValue(message.offset, message.value).value ?? ''
      quarantine.push(item({
        id: `message-${job.topic}-${job.partition}-${message.offset}`,
        firstOffset: message.offset,
        lastOffset: message.offset,
        reason: event.reason,
        table: '',
        rows: 0,
        details: raw.length > maxQuarantinedBytes ? [`message of ${raw.length} bytes cut to ${maxQuarantinedBytes}`] : [],
        payload: raw.slice(0, maxQuarantinedBytes),
        payloadKind: 'raw',
      }))
      bump('quarantinedMessages')
      continue
    }
    if (event.kind === 'skip') {
      bump(`skipped.${event.reason}`)
      if (event.table !== '') bumpSource(`${event.database}.${event.table}:${event.reason}`, 1)
      continue
    }
    const route = ctx.route(event.database, event.table)
    if (!route) {
      unmapped(event.database, event.table, event.data.length)
      continue
    }
    const target = await targetFor(route)
    target.offsets.push(message.offset)
    target.sourceRows += event.data.length
    target.rows?.add({ partition: job.partition, offset: message.offset, event, route })
  }

  let loadedRows = 0
  let quarantinedRows = 0
  const failures: unknown[] = []
  await forEachLimited([...targets.values()], ctx.tableConcurrency, async ({ database, table, rows, offsets, sourceRows }) => {
    const label = loadLabel({ ...job, prefix: ctx.config.labelPrefix, database, table })
    const refuse = (reason: string, details: string[], payload: string, payloadKind: QuarantineItem['payloadKind']) => {
      quarantine.push(item({
        id: label,
        label,
        firstOffset: offsets[0]!,
        lastOffset: offsets.at(-1)!,
        reason,
        table: `${database}.${table}`,
        rows: sourceRows,
        details,
        payload,
        payloadKind,
      }))
      quarantinedRows += sourceRows
    }
    try {
      if (!rows) {
        // Without the target's columns no rows can be built: keep the source messages for replay.
        const mine = new Set(offsets)
        const messages = job.messages.filter((m) => mine.has(m.offset)).map((m) => encodeValue(m.offset, m.value))
        return refuse(`target table ${database}.${table} does not exist`, [], JSON.stringify(messages), 'messages')
      }
      bump('ignoredDeletes', rows.result.ignoredDeletes)
      if (rows.result.body.count === 0) return
      const body = rows.result.body.bytes()
      try {
        await ctx.client.load({ database, table, label, body })
        loadedRows += rows.result.body.count
      } catch (err) {
        if (err instanceof PermanentLoadError && (err.reason === 'rejected-data' || err.reason === 'unknown-table')) {
          if (err.reason === 'unknown-table') ctx.schemas.invalidate(database, table)
          return refuse(err.serverMessage, err.rejectedRows, body.toString('utf8'), 'rows')
        }
        throw err
      }
    } catch (err) {
      failures.push(err)
    }
  })
  if (failures.length > 0) throw failures[0]

  await ctx.activity.quarantine(quarantine)
  bump('loadedRows', loadedRows)
  bump('quarantinedRows', quarantinedRows)
  bump('batches')
  await ctx.activity.count(job.instance, counters, bySource, { topic: job.topic, partition: job.partition })
  return { loadedRows, quarantinedRows, tables: targets.size }
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!)
  })
  await Promise.all(lanes)
}
