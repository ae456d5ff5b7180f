import { formatReader } from '../src/formats/change-format.ts'
import type { RowEvent } from '../src/formats/row-event.ts'
import type { EventType } from '../src/instances/config.ts'
import { canalScanner } from '../src/formats/canal/canal-scan.ts'
import type { InstanceConfig } from '../src/instances/config.ts'
import type { InstanceActivity, QuarantineItem } from '../src/instances/instance-activity.ts'
import { encodeValue, type LoadBatch, type LoadJobResult } from '../src/jobs/load-job.ts'
import { loadLabel } from '../src/starrocks/load-label.ts'
import { tableRowsBuilder, type TableRowsBuilder } from '../src/rows/row-changes.ts'
import type { SchemaCache } from '../src/starrocks/starrocks-schema.ts'
import type { StreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { PermanentLoadError } from '../src/starrocks/stream-load-errors.ts'
import { matchRejectedRows, type RejectedRow } from '../src/starrocks/rejected-rows.ts'
import type { Logger } from '../src/observe/logger.ts'
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
  /** Where a refused row is reported, beside its quarantined item. */
  log?: Pick<Logger, 'warn'>
}

/** A target table's rows of this batch; `rows` null when the table does not exist. */
type TargetRows = { database: string; table: string; rows: TableRowsBuilder | null; offsets: string[]; sourceRows: number }

// A quarantined raw message is kept whole up to this size, so most can be replayed as they came.
const maxQuarantinedBytes = 1024 * 1024
const eventTypeOf: Record<RowEvent['type'], EventType> = { INSERT: 'insert', UPDATE: 'update', DELETE: 'delete' }

// StarRocks' error lines kept on an item that holds many rows.
const maxDetailLines = 20

export async function loadBatch(job: LoadBatch, ctx: LoadContext): Promise<LoadJobResult> {
  const counters: Record<string, number> = {}
  const bySource: Record<string, number> = {}
  const quarantine: QuarantineItem[] = []
  const bump = (name: string, n = 1) => (counters[name] = (counters[name] ?? 0) + n)
  const bumpSource = (name: string, n: number) => (bySource[name] = (bySource[name] ?? 0) + n)
  const at = new Date().toISOString()
  const item = (fields: Pick<QuarantineItem, 'id' | 'firstOffset' | 'lastOffset' | 'reason' | 'table' | 'rows' | 'details' | 'payload' | 'payloadKind' | 'label' | 'column' | 'columns' | 'code' | 'params'>): QuarantineItem => ({
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
  // Events of a type the rule does not sync (its needTypes) are counted per source table, never lost from view.
  const notSynced = (route: RouteTarget, type: RowEvent['type'], database: string, table: string, rows: number): boolean => {
    if (route.rule.needTypes.includes(eventTypeOf[type])) return false
    bump('skipped.needType', rows)
    bumpSource(`${database}.${table}:needType`, rows)
    return true
  }
  const { format, timeZone } = ctx.config
  const reader = formatReader(format, { timeZone })
  const scan = format === 'canal' ? canalScanner() : null
  for (const message of job.messages) {
    // Plain canal row events go the fast way, from bytes to rows; whatever it declines, the format's
    // decoder and the row builder handle as the reference.
    const scanned = scan?.(message.value)
    if (scanned) {
      const route = ctx.route(scanned.database, scanned.table)
      if (!route) {
        unmapped(scanned.database, scanned.table, scanned.rows)
        continue
      }
      if (notSynced(route, scanned.type, scanned.database, scanned.table, scanned.rows)) continue
      const target = await targetFor(route)
      if (!target.rows || target.rows.addScanned(scanned, job.partition, message.offset, route)) {
        target.offsets.push(message.offset)
        target.sourceRows += scanned.rows
        continue
      }
    }
    const event = reader.decode({ topic: job.topic, key: message.key ?? null, value: message.value })
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
    if (notSynced(route, event.type, event.database, event.table, event.data.length)) continue
    const target = await targetFor(route)
    target.offsets.push(message.offset)
    target.sourceRows += event.data.length
    target.rows?.add({ partition: job.partition, offset: message.offset, event, route })
  }

  let loadedRows = 0
  let quarantinedRows = 0
  const failures: unknown[] = []
  await forEachLimited([...targets.values()], ctx.tableConcurrency, async ({ database, table, rows, offsets, sourceRows }) => {
    const labelParts = { ...job, prefix: ctx.config.labelPrefix, database, table }
    const label = loadLabel(labelParts)
    const refuse = (reason: string, details: string[], payload: string, payloadKind: QuarantineItem['payloadKind'], count: number, columns?: string) => {
      quarantine.push(item({
        columns,
        id: label,
        label,
        firstOffset: offsets[0]!,
        lastOffset: offsets.at(-1)!,
        reason,
        table: `${database}.${table}`,
        rows: count,
        details,
        payload,
        payloadKind,
      }))
      quarantinedRows += count
    }
    try {
      if (!rows) {
        // Without the target's columns no rows can be built: keep the source messages for replay.
        const mine = new Set(offsets)
        const messages = job.messages.filter((m) => mine.has(m.offset)).map((m) => encodeValue(m.offset, m.value, m.key ?? null))
        return refuse(`target table ${database}.${table} does not exist`, [], JSON.stringify(messages), 'messages', sourceRows)
      }
      bump('ignoredDeletes', rows.result.ignoredDeletes)
      bump('zeroDates', rows.result.zeroDates)
      const { columns } = rows.result
      for (const [i, refusedRow] of rows.result.refused.entries()) {
        // K2S itself could not convert a value for this target: the source row, kept as it came.
        quarantine.push(item({
          id: `${label}-k${i}`,
          firstOffset: refusedRow.offset,
          lastOffset: refusedRow.offset,
          reason: refusedRow.reason,
          table: `${database}.${table}`,
          rows: 1,
          details: [],
          payload: refusedRow.row,
          payloadKind: 'source-row',
          column: refusedRow.column,
          code: refusedRow.code,
          params: refusedRow.params,
        }))
        quarantinedRows++
        ctx.log?.warn({ instance: job.instance, topic: job.topic, partition: job.partition, offset: refusedRow.offset, table: `${database}.${table}`, column: refusedRow.column, reason: refusedRow.reason }, 'row K2S cannot convert for StarRocks, quarantined')
      }
      const body = rows.result.body
      if (body.count === 0) return
      // Rows StarRocks refuses leave the load one by one, each to the quarantine; the rest load
      // under a label derived from the refused set, which a re-cut batch meets again.
      const refused = new Map<number, RejectedRow>()
      let texts: string[] | null = null
      for (;;) {
        const sent = refused.size === 0 ? body.bytes() : body.subset((i) => !refused.has(i))
        const loadLabelNow = refused.size === 0 ? label : loadLabel({ ...labelParts, rows: { kind: 'without', indexes: [...refused.keys()].sort((a, b) => a - b) } })
        if (refused.size === body.count) break
        try {
          await ctx.client.load({ database, table, label: loadLabelNow, body: sent, columns })
          loadedRows += body.count - refused.size
          break
        } catch (err) {
          if (!(err instanceof PermanentLoadError) || (err.reason !== 'rejected-data' && err.reason !== 'unknown-table')) throw err
          if (err.reason === 'unknown-table') ctx.schemas.invalidate(database, table)
          texts ??= body.texts()
          const remaining = texts.flatMap((text, i) => (refused.has(i) ? [] : [[i, text] as const]))
          const found = err.reason === 'rejected-data' ? matchRejectedRows(err.rejectedRows, remaining.map(([, text]) => text)) : null
          if (!found || found.size === 0) {
            // StarRocks named no row we can find: the remaining rows stay together, as they came.
            const kept = refused.size === 0 ? sent.toString('utf8') : JSON.stringify(remaining.map(([, text]) => JSON.parse(text) as unknown))
            refuse(err.serverMessage, err.rejectedRows.slice(0, maxDetailLines), kept, 'rows', remaining.length, columns)
            break
          }
          for (const [at, rejected] of found) refused.set(remaining[at]![0], rejected)
        }
      }
      texts ??= refused.size > 0 ? body.texts() : null
      for (const [index, rejected] of [...refused].sort(([a], [b]) => a - b)) {
        const offset = body.offsets[index]!
        const rowLabel = loadLabel({ ...labelParts, rows: { kind: 'row', indexes: [index] } })
        quarantine.push(item({
          id: rowLabel,
          label: rowLabel,
          firstOffset: offset,
          lastOffset: offset,
          reason: rejected.reason,
          table: `${database}.${table}`,
          rows: 1,
          details: [rejected.line],
          payload: `[${texts![index]!}]`,
          payloadKind: 'rows',
          column: rejected.column,
          columns,
          code: 'quarantine.rowRefused',
          params: { column: rejected.column ?? '', reason: rejected.reason },
        }))
        ctx.log?.warn({ instance: job.instance, topic: job.topic, partition: job.partition, offset, table: `${database}.${table}`, column: rejected.column, reason: rejected.reason }, 'row refused by StarRocks, quarantined')
      }
      quarantinedRows += refused.size
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
