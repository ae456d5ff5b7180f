import { detectFormat, formatReader, type ChangeFormat } from '../formats/change-format.ts'
import type { RowEvent } from '../formats/row-event.ts'
import type { MappingEnv, MappingRule } from '../instances/config.ts'
import { tableRows } from './row-changes.ts'
import type { TargetTable } from '../starrocks/starrocks-schema.ts'
import { createTableRouter } from './table-mapping.ts'

/**
 * What a mapping environment would do with one change message (canal, Debezium or Maxwell), for
 * the console's preview: the format it was read as, the rule that matches, the target table and the
 * JSON rows (with `__op`) a load would send. It runs the loader's own decoding, routing and
 * projection; only the target schema may be assumed.
 */
export type PreviewFormat = {
  format: ChangeFormat
  /** True when the format was recognised from the message itself, not chosen or defaulted. */
  detected: boolean
}

export type PreviewResult =
  | ({ kind: 'unreadable'; reason: string } & PreviewFormat)
  | ({ kind: 'skipped'; reason: string; database: string; table: string; type: string } & PreviewFormat)
  | ({
      kind: 'rows'
      database: string
      table: string
      type: RowEvent['type']
      match: { ruleIndex: number; targetDatabase: string; targetTable: string } | null
      rows: Record<string, unknown>[]
      upserts: number
      deletes: number
      ignoredDeletes: number
      /** The matching rule does not sync this event type (its needTypes): nothing would be sent, it is counted. */
      notSynced: boolean
      /** Source rows K2S cannot convert for the target: they would be quarantined with these reasons. */
      refused: { column: string; reason: string }[]
      /** Where the target's columns came from: StarRocks itself, or assumed from the message. */
      schema: 'target' | 'assumed'
    } & PreviewFormat)

export type PreviewInput = {
  message: string
  /** The Kafka key, for Debezium (the row's key) and Maxwell (the key columns). */
  key?: string
  /** Read the message as this format; else as the format it looks like, else `fallback`. */
  format?: ChangeFormat
  fallback?: ChangeFormat
  timeZone?: string
}

/** How the target table is found: StarRocks' own schema, or null when it is missing or unknown. */
export type TargetLookup = (database: string, table: string) => Promise<TargetTable | null>

export async function previewMapping(env: MappingEnv, input: PreviewInput, lookup?: TargetLookup): Promise<PreviewResult> {
  const detected = input.format === undefined ? detectFormat(input.message) : null
  const format = input.format ?? detected ?? input.fallback ?? 'canal'
  const how = { format, detected: detected !== null }
  const event = formatReader(format, { timeZone: input.timeZone ?? 'UTC' }).decode({
    topic: '',
    key: input.key === undefined ? null : Buffer.from(input.key, 'utf8'),
    value: Buffer.from(input.message, 'utf8'),
  })
  if (event.kind === 'unreadable') return { ...event, ...how }
  if (event.kind === 'skip') return { kind: 'skipped', reason: event.reason, database: event.database, table: event.table, type: event.type, ...how }
  const route = createTableRouter(env)(event.database, event.table)
  const base = { kind: 'rows' as const, database: event.database, table: event.table, type: event.type, ...how }
  const nothing = { rows: [], upserts: 0, deletes: 0, ignoredDeletes: 0, refused: [], schema: 'assumed' as const }
  if (!route) return { ...base, match: null, notSynced: false, ...nothing }
  const match = { ruleIndex: route.ruleIndex, targetDatabase: route.database, targetTable: route.table }
  if (!route.rule.needTypes.includes(event.type.toLowerCase() as MappingRule['needTypes'][number])) return { ...base, match, notSynced: true, ...nothing }
  const found = lookup ? await lookup(route.database, route.table) : null
  const target = found ?? assumedTarget(event, route.rule, route.database, route.table)
  const result = tableRows([{ partition: 0, offset: '0', event, route }], target)
  return {
    ...base,
    match,
    notSynced: false,
    refused: result.refused.map(({ column, reason }) => ({ column, reason })),
    rows: JSON.parse(result.body.bytes().toString('utf8')) as Record<string, unknown>[],
    upserts: result.upserts,
    deletes: result.deletes,
    ignoredDeletes: result.ignoredDeletes,
    schema: found ? 'target' : 'assumed',
  }
}

/**
 * Without StarRocks' schema: every column the rule would produce exists, and the table is a Primary
 * Key table on the message's pkNames when it has any (so deletes show as `__op` 1).
 */
function assumedTarget(event: RowEvent, rule: MappingEnv['rules'][number], database: string, table: string): TargetTable {
  const renames = new Map(Object.entries(rule.columnRenames).map(([from, to]) => [from.toLowerCase(), to]))
  const renamed = (c: string) => renames.get(c.toLowerCase()) ?? c
  const source = new Set<string>()
  for (const image of [...event.data, ...event.old]) for (const column in image ?? {}) source.add(renamed(column))
  const names = [...source, ...Object.keys(rule.metadataColumns), ...Object.keys(rule.constantColumns), ...(rule.softDeleteColumn ? [rule.softDeleteColumn] : [])]
  const keys = new Set(event.pkNames.map((k) => renamed(k).toLowerCase()))
  const columns = [...new Set(names)].map((name) => ({ name, dataType: 'varchar', nullable: true, isKey: keys.has(name.toLowerCase()) }))
  return { database, table, model: keys.size > 0 ? 'PRIMARY' : 'DUPLICATE', columns, keyColumns: columns.filter((c) => c.isKey).map((c) => c.name) }
}
