import type { RowEvent, RowImage } from '../formats/row-event.ts'
import { scannedProjection, type ScannedProjection } from '../formats/canal/canal-fast-rows.ts'
import type { CanalScan } from '../formats/canal/canal-scan.ts'
import { columnTargets, metadataValue } from './column-targets.ts'
import type { RouteTarget } from './table-mapping.ts'
import type { TargetTable } from '../starrocks/starrocks-schema.ts'
import { JsonRowsBody } from './json-rows-body.ts'
import type { TableRows } from './table-rows.ts'
import { binaryColumnsHeader, binaryKey, sourceTypeOf, targetKindOf, valueConversion, zeroDateNull, type BinaryRendering, type Refusal, type ValueConversion } from './value-types.ts'

/**
 * canal row events → the JSON rows of one target table, in Kafka order (docs/design.md "canal flat
 * message → rows"). INSERT and UPDATE upsert; a key change deletes the old key first; DELETE is a
 * `__op` 1 on Primary Key tables, or what the rule's delete mode says elsewhere.
 */
export type SourceEvent = { partition: number; offset: string; event: RowEvent; route: RouteTarget }

export function tableRows(events: SourceEvent[], target: TargetTable): TableRows {
  const builder = tableRowsBuilder(target)
  for (const source of events) builder.add(source)
  return builder.result
}

/**
 * The same rows built one event at a time, so a loader can drop each decoded message as soon as
 * its rows are built: a whole batch of decoded messages kept until the end outlived the young
 * generation, and copying it there and into the old one doubled the loader's CPU per row.
 */
export type TableRowsBuilder = {
  add(source: SourceEvent): void
  /** A scanned message's rows straight from its bytes; false, adding nothing, to take add() instead. */
  addScanned(scan: CanalScan, partition: number, offset: string, route: RouteTarget): boolean
  result: TableRows
}

/** `capacity`: the body's first size in bytes, when the caller knows about how big it grows. */
export function tableRowsBuilder(target: TargetTable, capacity?: number): TableRowsBuilder {
  const result: TableRows = {
    body: new JsonRowsBody(capacity),
    upserts: 0,
    deletes: 0,
    ignoredDeletes: 0,
    refused: [],
    zeroDates: 0,
    columns: binaryColumnsHeader(target.columns, target.model === 'PRIMARY'),
    driftRows: 0,
    driftColumns: new Set(),
  }
  // Several rules may feed one target (say, two shard families); each projects with its own rule.
  const projections = new Map<number, Projection>()
  const scanned = new Map<number, ScannedProjection>()
  return {
    result,
    add(source) {
      let projection = projections.get(source.route.ruleIndex)
      if (!projection) projections.set(source.route.ruleIndex, (projection = projectionFor(source.route, target)))
      result.body.source = source.offset
      projection.apply(source, result)
    },
    addScanned(scan, partition, offset, route) {
      let projection = scanned.get(route.ruleIndex)
      if (!projection) scanned.set(route.ruleIndex, (projection = scannedProjection(route.rule, target)))
      result.body.source = offset
      return projection.apply(scan, partition, offset, result)
    },
  }
}

type Projection = { apply(source: SourceEvent, result: TableRows): void }

/** A value already written as JSON text (a document, a base64 string): not quoted again. */
class Written {
  constructor(readonly json: string) {}
}

type Projected = { text: string; zeroDates: number } | (Refusal & { column: string })

function projectionFor(route: RouteTarget, target: TargetTable): Projection {
  const { rule } = route
  const { targetOf, missing, columnOf, metadata, constants, softColumn, primaryKey, keys } = columnTargets(rule, target)
  const kinds = new Map(target.columns.map((c) => [c.name, targetKindOf(c)]))
  const binary = [...kinds].filter(([, kind]) => kind === 'varbinary').map(([name]) => name)
  // What each source column's values become, worked out again only when its MySQL type (or the
  // format's binary rendering, the same for every event of one format) changes.
  const conversions = new Map<string, { mysqlType: string | undefined; rendering: BinaryRendering | undefined; convert: ValueConversion }>()
  const conversionOf = (column: string, name: string, mysqlType: string | undefined, rendering: BinaryRendering | undefined): ValueConversion => {
    const known = conversions.get(column)
    if (known && known.mysqlType === mysqlType && known.rendering === rendering) return known.convert
    const convert = valueConversion(sourceTypeOf(mysqlType), kinds.get(name) ?? 'other', rendering)
    conversions.set(column, { mysqlType, rendering, convert })
    return convert
  }
  // Never silently short: a row carrying a column the target lacks is counted, whatever happens to it.
  const drift = (image: RowImage, result: TableRows): void => {
    let found = false
    for (const column in image) {
      if (!missing(column)) continue
      found = true
      result.driftColumns.add(column)
    }
    if (found) result.driftRows++
  }
  // `old` holds only the columns that changed; one of them being a key column moves the row.
  const changesKey = (before: RowImage, after: RowImage): boolean => {
    for (const column in before) {
      const name = columnOf(column)
      if (name !== undefined && keys.has(name) && before[column] !== after[column]) return true
    }
    return false
  }

  const project = (image: RowImage, source: SourceEvent, op: 0 | 1, softDeleted: boolean): Projected => {
    const row: Record<string, string | number | null | Written> = {}
    let written = false
    let zeroDates = 0
    const types = source.event.mysqlType
    const rendering = source.event.binaryRendering
    for (const column in image) {
      const name = targetOf(column)
      if (name === null) continue
      const value = image[column] ?? null
      const mysqlType = types[column]
      const convert = value === null ? null : conversionOf(column, name, typeof mysqlType === 'string' ? mysqlType : undefined, rendering)
      if (convert === null) {
        row[name] = value
        continue
      }
      const out = convert(value!)
      if ('refused' in out) return { ...out, column: name }
      if (out === zeroDateNull) zeroDates++
      row[name] = new Written(out.json)
      written = true
    }
    for (const [name, kind] of metadata) row[name] = metadataValue(kind, source.event, source.partition, source.offset)
    for (const [name, value] of constants) row[name] = value
    if (softColumn) row[softColumn] = softDeleted ? '1' : '0'
    if (primaryKey) row.__op = op
    if (!written && binary.length === 0) return { text: JSON.stringify(row), zeroDates }
    // A VARBINARY column's value travels base64 under its own key (value-types.ts).
    for (const name of binary) {
      const value = row[name]
      if (typeof value === 'string') row[name] = new Written(JSON.stringify(Buffer.from(value, 'utf8').toString('base64')))
    }
    const fields = Object.keys(row).map((name) => {
      const value = row[name]!
      const key = kinds.get(name) === 'varbinary' ? binaryKey(name) : name
      return `${JSON.stringify(key)}:${value instanceof Written ? value.json : JSON.stringify(value)}`
    })
    return { text: `{${fields.join(',')}}`, zeroDates }
  }

  /** Writes the rows of one source row, or quarantines it whole when any of them is refused. */
  const write = (result: TableRows, source: SourceEvent, image: RowImage, rows: Projected[], deletes: number): void => {
    const refused = rows.find((r): r is Extract<Projected, { refused: string }> => 'refused' in r)
    if (refused) {
      result.refused.push({ offset: source.offset, row: JSON.stringify(image), column: refused.column, reason: refused.refused, code: refused.code, params: { ...refused.params, column: refused.column } })
      return
    }
    for (const r of rows as Extract<Projected, { text: string }>[]) {
      result.body.addText(r.text)
      result.zeroDates += r.zeroDates
    }
    result.deletes += deletes
    result.upserts += rows.length - deletes
  }

  const apply = (source: SourceEvent, result: TableRows): void => {
    const { event } = source
    event.data.forEach((after, i) => {
      drift(after, result)
      switch (event.type) {
        case 'INSERT':
          return write(result, source, after, [project(after, source, 0, false)], 0)
        case 'UPDATE': {
          const before = event.old[i]
          if (primaryKey && before && changesKey(before, after)) {
            return write(result, source, after, [project({ ...after, ...before }, source, 1, false), project(after, source, 0, false)], 1)
          }
          return write(result, source, after, [project(after, source, 0, false)], 0)
        }
        case 'DELETE':
          if (rule.deleteMode === 'soft' && softColumn) {
            write(result, source, after, [project(after, source, 0, true)], 0)
          } else if (rule.deleteMode === 'hard' && primaryKey) {
            write(result, source, after, [project(after, source, 1, false)], 1)
          } else {
            result.ignoredDeletes++
          }
      }
    })
  }
  return { apply }
}
