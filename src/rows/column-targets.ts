import type { MappingRule, MetadataKind } from '../instances/config.ts'
import type { RowEvent } from '../formats/row-event.ts'
import type { TargetTable } from '../starrocks/starrocks-schema.ts'

/**
 * Where one rule sends the source columns of one target table. Both the row builder and the canal
 * fast path resolve through this, so the two cannot map a column differently.
 */
export type ColumnTargets = {
  /** The target column a source column loads into; null when excluded or the target lacks it. */
  targetOf(column: string): string | null
  /** A source column neither excluded nor in the target: its value would be lost (schema drift). */
  missing(column: string): boolean
  /** The target column a source column names, exclusions aside: what decides a key change. */
  columnOf(column: string): string | undefined
  metadata: (readonly [name: string, kind: MetadataKind])[]
  /** Columns that get the same text in every row, in the target's spelling. */
  constants: (readonly [name: string, value: string])[]
  softColumn: string | undefined
  primaryKey: boolean
  keys: Set<string>
}

export function columnTargets(rule: MappingRule, target: TargetTable): ColumnTargets {
  const exact = new Map(target.columns.map((c) => [c.name.toLowerCase(), c.name]))
  // StarRocks matches JSON keys to columns by exact name (§6.2), so every key we send is spelled
  // as the target spells it, whatever case the MySQL column had.
  // MySQL column names are case-insensitive, so renames and exclusions are too.
  const renames = new Map(Object.entries(rule.columnRenames).map(([from, to]) => [from.toLowerCase(), to]))
  const columnOf = (source: string): string | undefined => exact.get((renames.get(source.toLowerCase()) ?? source).toLowerCase())
  const excluded = new Set(rule.excludeColumns.map((c) => c.toLowerCase()))
  // Every row of a table repeats the same column names: resolve each once per batch, not per row.
  const resolved = new Map<string, string | null>()
  const targetOf = (column: string): string | null => {
    let name = resolved.get(column)
    if (name === undefined) resolved.set(column, (name = excluded.has(column.toLowerCase()) ? null : (columnOf(column) ?? null)))
    return name
  }
  const metadata = Object.entries(rule.metadataColumns).flatMap(([column, kind]) => {
    const name = exact.get(column.toLowerCase())
    return name ? [[name, kind] as const] : []
  })
  const constants = Object.entries(rule.constantColumns).flatMap(([column, value]) => {
    const name = exact.get(column.toLowerCase())
    return name ? [[name, value] as const] : []
  })
  const missing = (column: string): boolean => targetOf(column) === null && !excluded.has(column.toLowerCase())
  return {
    targetOf,
    missing,
    columnOf,
    metadata,
    constants,
    softColumn: rule.softDeleteColumn ? exact.get(rule.softDeleteColumn.toLowerCase()) : undefined,
    primaryKey: target.model === 'PRIMARY',
    keys: new Set(target.keyColumns),
  }
}

export type MetadataSource = Pick<RowEvent, 'database' | 'table' | 'type' | 'es'>

export function metadataValue(kind: MetadataKind, event: MetadataSource, partition: number, offset: string): string {
  switch (kind) {
    case 'sourceDatabase':
      return event.database
    case 'sourceTable':
      return event.table
    case 'eventType':
      return event.type
    case 'binlogTime':
      return new Date(event.es).toISOString().slice(0, 19).replace('T', ' ')
    case 'binlogTimeMs':
      return String(event.es)
    case 'kafkaPartition':
      return String(partition)
    case 'kafkaOffset':
      return offset
  }
}
