import type { RowEvent, RowImage } from '../formats/canal/canal-message.ts'
import { scannedProjection, type ScannedProjection } from '../formats/canal/canal-fast-rows.ts'
import type { CanalScan } from '../formats/canal/canal-scan.ts'
import { columnTargets, metadataValue } from './column-targets.ts'
import type { RouteTarget } from './table-mapping.ts'
import type { TargetTable } from '../starrocks/starrocks-schema.ts'
import { JsonRowsBody } from './json-rows-body.ts'
import type { TableRows } from './table-rows.ts'

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

export function tableRowsBuilder(target: TargetTable): TableRowsBuilder {
  const result: TableRows = { body: new JsonRowsBody(), upserts: 0, deletes: 0, ignoredDeletes: 0, driftRows: 0, driftColumns: new Set() }
  // Several rules may feed one target (say, two shard families); each projects with its own rule.
  const projections = new Map<number, Projection>()
  const scanned = new Map<number, ScannedProjection>()
  return {
    result,
    add(source) {
      let projection = projections.get(source.route.ruleIndex)
      if (!projection) projections.set(source.route.ruleIndex, (projection = projectionFor(source.route, target)))
      projection.apply(source, result)
    },
    addScanned(scan, partition, offset, route) {
      let projection = scanned.get(route.ruleIndex)
      if (!projection) scanned.set(route.ruleIndex, (projection = scannedProjection(route.rule, target)))
      return projection.apply(scan, partition, offset, result)
    },
  }
}

type Projection = { apply(source: SourceEvent, result: TableRows): void }

function projectionFor(route: RouteTarget, target: TargetTable): Projection {
  const { rule } = route
  const { targetOf, missing, columnOf, metadata, softColumn, primaryKey, keys } = columnTargets(rule, target)
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

  const project = (image: RowImage, source: SourceEvent, op: 0 | 1, softDeleted: boolean): string => {
    const row: Record<string, string | number | null> = {}
    for (const column in image) {
      const name = targetOf(column)
      if (name !== null) row[name] = image[column] ?? null
    }
    for (const [name, kind] of metadata) row[name] = metadataValue(kind, source.event, source.partition, source.offset)
    if (softColumn) row[softColumn] = softDeleted ? '1' : '0'
    if (primaryKey) row.__op = op
    return JSON.stringify(row)
  }

  const apply = (source: SourceEvent, result: TableRows): void => {
    const { event } = source
    event.data.forEach((after, i) => {
      drift(after, result)
      switch (event.type) {
        case 'INSERT':
          result.body.addText(project(after, source, 0, false))
          result.upserts++
          return
        case 'UPDATE': {
          const before = event.old[i]
          if (primaryKey && before && changesKey(before, after)) {
            result.body.addText(project({ ...after, ...before }, source, 1, false))
            result.deletes++
          }
          result.body.addText(project(after, source, 0, false))
          result.upserts++
          return
        }
        case 'DELETE':
          if (rule.deleteMode === 'soft' && softColumn) {
            result.body.addText(project(after, source, 0, true))
            result.upserts++
          } else if (rule.deleteMode === 'hard' && primaryKey) {
            result.body.addText(project(after, source, 1, false))
            result.deletes++
          } else {
            result.ignoredDeletes++
          }
      }
    })
  }
  return { apply }
}
