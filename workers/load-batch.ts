import { formatReader, type ChangeFormat } from '../src/formats/change-format.ts'
import type { RowEvent, SkippedEvent } from '../src/formats/row-event.ts'
import { canalScanner } from '../src/formats/canal/canal-scan.ts'
import { schemaPolicy, type EventType, type InstanceConfig } from '../src/instances/config.ts'
import type { InstanceActivity, QuarantineItem } from '../src/instances/instance-activity.ts'
import { ddlId, type TableDrift } from '../src/instances/schema-holds.ts'
import { encodeValue, type LoadBatch, type LoadJobResult } from '../src/jobs/load-job.ts'
import type { Logger } from '../src/observe/logger.ts'
import { loadLabel } from '../src/starrocks/load-label.ts'
import { tableRowsBuilder, type TableRowsBuilder } from '../src/rows/row-changes.ts'
import type { SchemaCache, TargetTable } from '../src/starrocks/starrocks-schema.ts'
import type { StreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { PermanentLoadError } from '../src/starrocks/stream-load-errors.ts'
import { matchRejectedRows, type RejectedRow } from '../src/starrocks/rejected-rows.ts'
import type { RouteTarget, TableRouter } from '../src/rows/table-mapping.ts'
import { passBarrier, type DdlMessage, type SchemaEvolution } from './schema-barrier.ts'
import { TablesHeldError } from './tables-held-error.ts'

/**
 * One job: decode → map → rows → one Stream Load per target table → quarantine what StarRocks
 * refuses for good. Throwing means "retry the whole job": tables that already loaded answer
 * `Label Already Exists` on the retry, so nothing lands twice.
 *
 * Under a rule whose schema-change policy is `apply` or `pause`, a canal DDL message for a target
 * table is a barrier (docs/design.md "Schema changes"): that table's rows before it load first,
 * then the policy deals with the DDL, then the rows after it are built against the target as it is
 * after the change and load under a label of their own.
 */
export type LoadContext = {
  config: InstanceConfig
  route: TableRouter
  schemas: SchemaCache
  client: StreamLoadClient
  activity: InstanceActivity
  tableConcurrency: number
  /** Absent where only rows are replayed: every rule then acts as `ignore`. */
  evolution?: SchemaEvolution
  /** Where a refused row, a schema change or a hold is reported. */
  log?: Logger
}

/** A target table's rows between two DDL barriers of this batch. */
type Segment = {
  /** The DDL that opens the segment; absent for the rows before any. */
  ddl?: DdlMessage
  /** Indexes into the batch's messages of the rows it holds. */
  messages: number[]
  /** Built rows; null when the table does not exist (or, after a barrier, until it is passed). */
  rows: TableRowsBuilder | null
  sourceRows: number
}

type TargetRows = {
  database: string
  table: string
  schema: TargetTable | null
  /** The schema was read during this job, not taken from the cache. */
  fresh: boolean
  /** A rule feeding this table holds rows with columns the target lacks (policy apply or pause). */
  holdsOnDrift: boolean
  /** A rule feeding it has the policy pause: only an operator ends a hold. */
  paused: boolean
  segments: Segment[]
}

// A quarantined raw message is kept whole up to this size, so most can be replayed as they came.
const maxQuarantinedBytes = 1024 * 1024
const eventTypeOf: Record<RowEvent['type'], EventType> = { INSERT: 'insert', UPDATE: 'update', DELETE: 'delete' }

// StarRocks' error lines kept on an item that holds many rows.
const maxDetailLines = 20

/**
 * The batch's place among its partition's batches (src/jobs/batch-order.ts). `ready`: the rows are
 * built first and loaded only once it resolved (the batch before is in StarRocks); a target that
 * batch changed meanwhile (a DDL it carried out) is built again against the target as it is now.
 * `loaded`: called once every row is in StarRocks or refused, before the bookkeeping, so the batch
 * behind may load.
 */
export type BatchTurn = { ready?: () => Promise<void>; loaded(): Promise<void> }

export async function loadBatch(job: LoadBatch, ctx: LoadContext, turn?: BatchTurn): Promise<LoadJobResult> {
  const counters: Record<string, number> = {}
  const bySource: Record<string, number> = {}
  const drift: Record<string, TableDrift> = {}
  const quarantine: QuarantineItem[] = []
  const held: string[] = []
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
  const batchBytes = job.messages.reduce((sum, m) => sum + (m.value?.length ?? 0), 0)
  const targetFor = async (route: RouteTarget): Promise<TargetRows> => {
    const key = `${route.database}.${route.table}`
    let target = targets.get(key)
    if (!target) {
      const schema = await ctx.schemas.table(route.database, route.table)
      // The batch's first table gets a body the size of the batch: a batch of one table (the common
      // hot partition) is written without growing and copying its body.
      const capacity = targets.size === 0 ? batchBytes : undefined
      target = { database: route.database, table: route.table, schema, fresh: false, holdsOnDrift: false, paused: false, segments: [{ messages: [], rows: schema && tableRowsBuilder(schema, capacity), sourceRows: 0 }] }
      targets.set(key, target)
    }
    if (schemaPolicy(route.rule) !== 'ignore') target.holdsOnDrift = true
    if (schemaPolicy(route.rule) === 'pause') target.paused = true
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
  const decode = (index: number) => {
    const message = job.messages[index]!
    return reader.decode({ topic: job.topic, key: message.key ?? null, value: message.value })
  }
  /** Adds one row message, already routed and counted once, to rows being built again. */
  const addRows = (rows: TableRowsBuilder, index: number): void => {
    const message = job.messages[index]!
    const scanned = scan?.(message.value)
    if (scanned) {
      const route = ctx.route(scanned.database, scanned.table)!
      if (rows.addScanned(scanned, job.partition, message.offset, route)) return
    }
    const event = decode(index)
    if (event.kind === 'rows') rows.add({ partition: job.partition, offset: message.offset, event, route: ctx.route(event.database, event.table)! })
  }
  /** A segment's rows built again, against the target's schema as now read. */
  const rebuild = (target: TargetRows, segment: Segment): void => {
    segment.rows = target.schema && tableRowsBuilder(target.schema)
    if (segment.rows) for (const index of segment.messages) addRows(segment.rows, index)
  }

  for (let index = 0; index < job.messages.length; index++) {
    const message = job.messages[index]!
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
      const segment = target.segments.at(-1)!
      // Rows after a barrier wait for it: they are built once it is passed.
      if (segment.ddl || !segment.rows || segment.rows.addScanned(scanned, job.partition, message.offset, route)) {
        segment.messages.push(index)
        segment.sourceRows += scanned.rows
        continue
      }
    }
    const event = decode(index)
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
      // Under `ignore` a DDL is no barrier: rows load against the target as it is, drift counted,
      // under the labels they always had. Otherwise a DDL that travels with the table's rows is one
      // (ddlInRowOrder); Debezium's schema-change records, from a topic of their own, are counted
      // like any skipped message, and their rows' drift is still counted (or held).
      const ddl = ddlInRowOrder(format, event)
      const route = ddl ? ctx.route(ddl.database, ddl.table) : null
      if (ddl && route && schemaPolicy(route.rule) !== 'ignore') {
        const target = await targetFor(route)
        target.segments.push({ ddl: { offset: message.offset, event: ddl, route }, messages: [], rows: null, sourceRows: 0 })
        continue
      }
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
    const segment = target.segments.at(-1)!
    segment.messages.push(index)
    segment.sourceRows += event.data.length
    if (!segment.ddl) segment.rows?.add({ partition: job.partition, offset: message.offset, event, route })
  }

  if (turn?.ready) {
    await turn.ready()
    for (const target of targets.values()) {
      const now = await ctx.schemas.table(target.database, target.table)
      if (sameSchema(now, target.schema)) continue
      target.schema = now
      for (const segment of target.segments) if (!segment.ddl) rebuild(target, segment)
    }
  }

  let loadedRows = 0
  let quarantinedRows = 0
  const failures: unknown[] = []

  const loadSegment = async (target: TargetRows, segment: Segment): Promise<void> => {
    const { database, table } = target
    const { rows, sourceRows } = segment
    const offsets = segment.messages.map((i) => job.messages[i]!.offset)
    if (offsets.length === 0) return
    const labelParts = { ...job, prefix: ctx.config.labelPrefix, database, table, ...(segment.ddl ? { segment: `ddl${segment.ddl.offset}` } : {}) }
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
    if (!rows) {
      // Without the target's columns no rows can be built: keep the source messages for replay.
      const messages = segment.messages.map((i) => encodeValue(job.messages[i]!.offset, job.messages[i]!.value, job.messages[i]!.key ?? null))
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
  }

  const loadTarget = async (target: TargetRows): Promise<void> => {
    const { database, table, segments } = target
    const name = `${database}.${table}`
    const evolution = ctx.evolution
    const hold = evolution && (await evolution.holds.heldTable(job.instance, name))
    // Under apply, a table held for drift is held "until the target has the columns": this batch
    // looks again (it is the one that set the hold, or one of another partition that may pass).
    const recheck = hold && hold.kind === 'drift' && !target.paused
    if (hold && !recheck) {
      held.push(`${name}: ${hold.message}`)
      return
    }
    for (const [s, segment] of segments.entries()) {
      if (segment.ddl) {
        const outcome = await passBarrier({ job, schemas: ctx.schemas, evolution, log: ctx.log }, database, table, segment.ddl)
        if (!outcome.pass) {
          await evolution!.holds.hold(job.instance, outcome.hold)
          ctx.log?.warn({ instance: job.instance, table: name, offset: segment.ddl.offset, code: outcome.hold.code, reason: outcome.hold.message }, 'table held by its schema change policy')
          held.push(`${name}: ${outcome.hold.message}`)
          return
        }
        bump(outcome.counter)
        if (outcome.counter === 'skipped.ddl') bumpSource(`${segment.ddl.event.database}.${segment.ddl.event.table}:ddl`, 1)
        target.schema = await ctx.schemas.refresh(database, table)
        target.fresh = true
        rebuild(target, segment)
      }
      // Rows before a DDL already carried out were loaded before it ran: their label answers, and
      // columns the DDL dropped or renamed are history, not drift.
      const next = segments[s + 1]?.ddl
      const loadedBefore = next !== undefined && evolution !== undefined && (await evolution.holds.ddlDone(job.instance, ddlId({ ...job, offset: next.offset, table: name }))) !== null
      if (!loadedBefore && segment.rows && segment.rows.result.driftRows > 0 && !target.fresh) {
        // The cache may be older than a column StarRocks has by now (someone altered it): look
        // again, every batch that has drift, so no value is lost to a stale cache. Drift kept on
        // purpose costs a query and a second build per batch: excludeColumns says it for free.
        target.schema = await ctx.schemas.refresh(database, table)
        target.fresh = true
        rebuild(target, segment)
      }
      const result = segment.rows?.result
      if (!loadedBefore && result && result.driftRows > 0) {
        const columns = [...result.driftColumns].sort()
        if (target.holdsOnDrift && evolution) {
          const message = `rows carry columns ${name} lacks: ${columns.join(', ')}`
          const offset = job.messages[segment.messages[0]!]!.offset
          await evolution.holds.hold(job.instance, {
            table: name,
            kind: 'drift',
            code: 'schema.drift-held',
            message,
            params: { table: name, columns: columns.join(', '), rows: String(result.driftRows) },
            topic: job.topic,
            partition: job.partition,
            offset,
            at: new Date().toISOString(),
          })
          ctx.log?.warn({ instance: job.instance, table: name, columns, rows: result.driftRows }, 'table held: rows carry columns the target lacks')
          held.push(`${name}: ${message}`)
          return
        }
        const known = drift[name] ?? (drift[name] = { rows: 0, columns: [] })
        known.rows += result.driftRows
        known.columns = [...new Set([...known.columns, ...columns])].sort()
        ctx.log?.warn({ instance: job.instance, table: name, columns, rows: result.driftRows }, 'schema drift: rows loaded without columns the target lacks (policy ignore)')
      }
      await loadSegment(target, segment)
    }
    if (recheck && hold.topic === job.topic && hold.partition === job.partition) {
      await evolution!.holds.release(job.instance, name)
      ctx.log?.info({ instance: job.instance, table: name }, 'schema drift hold ended: the target has the columns now')
    }
  }

  await forEachLimited([...targets.values()], ctx.tableConcurrency, async (target) => {
    try {
      await loadTarget(target)
    } catch (err) {
      failures.push(err)
    }
  })
  if (failures.length > 0) throw failures[0]
  // Held tables keep the batch, and so the partition's offset, where it is: nothing after a held
  // row is committed. The other tables loaded; on the retry their labels answer.
  if (held.length > 0) throw new TablesHeldError(held)
  await turn?.loaded()

  await ctx.activity.quarantine(quarantine)
  bump('loadedRows', loadedRows)
  bump('quarantinedRows', quarantinedRows)
  const driftRows = Object.values(drift).reduce((sum, d) => sum + d.rows, 0)
  bump('schemaDriftRows', driftRows)
  bump('batches')
  await ctx.evolution?.holds.countDrift(job.instance, drift)
  await ctx.activity.count(job.instance, counters, bySource, { topic: job.topic, partition: job.partition })
  return { loadedRows, quarantinedRows, tables: targets.size }
}

const sameSchema = (a: TargetTable | null, b: TargetTable | null) => a === b || JSON.stringify(a) === JSON.stringify(b)

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!)
  })
  await Promise.all(lanes)
}

/**
 * A DDL that comes in its table's topic, in binlog order with the rows of its partition, with the
 * statement to plan: canal's DDL; Maxwell's `table-*` records (its default `producer_partition_by=
 * database` keeps them with the rows); Debezium's truncate (`op: t`, in the table's own topic),
 * as the TRUNCATE it was. A DDL that also reaches other partitions only orders its own partition's
 * rows; rows elsewhere carrying new columns hold the table instead of loading short.
 */
function ddlInRowOrder(format: ChangeFormat, event: SkippedEvent): SkippedEvent | null {
  if (event.reason !== 'ddl' || event.table === '') return null
  if (format === 'canal') return event
  if (format === 'maxwell') return event.sql ? event : null
  if (event.type === 'TRUNCATE' && event.sql === undefined) return { ...event, sql: `TRUNCATE TABLE ${mysqlName(event.database)}.${mysqlName(event.table)}` }
  return null
}

const mysqlName = (name: string) => `\`${name.replaceAll('`', '``')}\``
