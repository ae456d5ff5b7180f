import { keyFields, rowHeader, type CanalScan } from './canal-scan.ts'
import { columnTargets, metadataValue } from '../../rows/column-targets.ts'
import type { MappingRule } from '../../instances/config.ts'
import { comma, openBrace } from '../../rows/json-bytes.ts'
import type { JsonRowsBody } from '../../rows/json-rows-body.ts'
import type { TableRows } from '../../rows/table-rows.ts'
import type { TargetTable } from '../../starrocks/starrocks-schema.ts'
import { sourceTypeOf, targetKindOf, valueConversion } from '../../rows/value-types.ts'

/**
 * The rows of a scanned canal message (canal-scan.ts) for one rule and target table, cut straight
 * from the message's bytes: a column that keeps its name is copied with its value as canal wrote
 * it, so a row of a table without renames is one slice of the message plus `__op`. It must give
 * exactly what the row builder gives for the same message, or nothing: apply() returns false,
 * having added no row, whenever the result could differ, and the caller takes the slow path.
 */
export type ScannedProjection = { apply(scan: CanalScan, partition: number, offset: string, result: TableRows): boolean }

/** What one source column name becomes in this target table. */
type SourceColumn = {
  /** The source key's bytes in UTF-8, to know it again without decoding it. */
  name: Buffer
  /** Index into the target's columns, -1 when the column is not sent. */
  target: number
  /** `"name":` as sent, in UTF-8; empty when the source key is sent as it is spelled. */
  key: Buffer
  /** Sending it could differ from the row builder: see refuses(). */
  refused: boolean
  /** Names a key column of a Primary Key table, exclusions aside. */
  primaryKey: boolean
  /** Sent into a DATE or DATETIME column, where a zero date is NULL: see zeroDateIn(). */
  date: boolean
  /** The target lacks it: schema drift, which the row builder counts. */
  missing: boolean
}

const noKey = Buffer.alloc(0)

export function scannedProjection(rule: MappingRule, target: TargetTable): ScannedProjection {
  const resolve = columnTargets(rule, target)
  const targetIndex = new Map(target.columns.map((c, i) => [c.name, i]))
  // Columns the builder writes after the source columns, in its order; a source column landing on
  // one of them, or two of them being the same, would move or merge keys.
  const trailer = [...resolve.metadata.map(([name]) => name), ...resolve.constants.map(([name]) => name), ...(resolve.softColumn ? [resolve.softColumn] : []), ...(resolve.primaryKey ? ['__op'] : [])]
  const kinds = new Map(target.columns.map((c) => [c.name, targetKindOf(c)]))
  // JSON documents and VARBINARY values are written differently from canal's text: left to the builder.
  const usable = new Set(trailer).size === trailer.length && !trailer.some(awkwardKey) && ![...kinds.values()].some((k) => k === 'json' || k === 'varbinary')
  const dates = [...kinds.values()].includes('date')
  const trailerKeys = resolve.metadata.map(([name, kind]) => [JSON.stringify(name) + ':', kind] as const)
  const constantsText = resolve.constants.map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`).join('')
  const softKey = resolve.softColumn ? JSON.stringify(resolve.softColumn) + ':' : ''

  // Duplicate keys and two keys sent as one column are found by stamping each row's columns.
  let stamp = 0
  let seenIds = new Int32Array(64)
  const seenTargets = new Int32Array(target.columns.length)
  const nextStamp = () => {
    if (++stamp < 0x3fffffff) return
    seenIds.fill(0)
    seenTargets.fill(0)
    stamp = 1
  }

  const ids = new Map<string, number>()
  const columns: SourceColumn[] = []
  const columnId = (name: string): number => {
    let id = ids.get(name)
    if (id !== undefined) return id
    const sent = resolve.targetOf(name)
    const named = resolve.columnOf(name)
    columns.push({
      name: Buffer.from(name),
      target: sent === null ? -1 : targetIndex.get(sent)!,
      key: sent === null || sent === name ? noKey : Buffer.from(JSON.stringify(sent) + ':'),
      refused: awkwardKey(name) || (sent !== null && (awkwardKey(sent) || trailer.includes(sent))),
      primaryKey: resolve.primaryKey && named !== undefined && resolve.keys.has(named),
      date: sent !== null && kinds.get(sent) === 'date',
      missing: resolve.missing(name),
    })
    ids.set(name, (id = columns.length - 1))
    if (columns.length > seenIds.length) seenIds = grown(seenIds)
    return id
  }

  // Messages of a table nearly always hold the same keys in the same order: per position, the
  // column id last seen there is checked against the key's bytes before any key is decoded.
  // `data` and `old` rows hold different keys, so each has its own.
  const guesses = [new Int32Array(64).fill(-1), new Int32Array(64).fill(-1)]

  // Schema drift of the message being cut, added to the result only if apply() takes it.
  let rowDrifts = false
  let driftRows = 0
  const driftIds = new Set<number>()

  /** Fills each key's column id into the layout; false when a row cannot be cut as it is. */
  const resolveRows = (scan: CanalScan, at: number, rows: number, sent: boolean): boolean => {
    const { layout, value } = scan
    const g = sent ? 0 : 1
    let guess = guesses[g]!
    for (let r = 0; r < rows; r++) {
      const keys = layout[at + 2]!
      const firstKey = at + rowHeader
      const next = firstKey + keys * keyFields
      if (layout[at + 3] === 1) {
        // The keys of the row before, which passed the checks below already.
        const above = next - at
        for (let p = firstKey; p < next; p += keyFields) layout[p + 4] = layout[p - above + 4]!
        if (sent && rowDrifts) driftRows++
        at = next
        continue
      }
      if (keys > guess.length) guess = guesses[g] = grownGuesses(guess, keys)
      for (let k = 0, p = firstKey; k < keys; k++, p += keyFields) {
        let id = guess[k]!
        if (id < 0 || !sameBytes(value, layout[p]!, layout[p + 1]!, columns[id]!.name)) {
          id = columnId(value.toString(scan.ascii ? 'latin1' : 'utf8', layout[p]!, layout[p + 1]!))
          guess[k] = id
        }
        layout[p + 4] = id
      }
      rowDrifts = false
      if (!acceptedRow(layout, firstKey, keys, sent)) return false
      if (sent && rowDrifts) driftRows++
      at = next
    }
    return true
  }

  const acceptedRow = (layout: Int32Array, firstKey: number, keys: number, sent: boolean): boolean => {
    nextStamp()
    for (let k = 0, p = firstKey; k < keys; k++, p += keyFields) {
      const id = layout[p + 4]!
      if (seenIds[id] === stamp) return false
      seenIds[id] = stamp
      const column = columns[id]!
      if (!sent) {
        // The builder deletes the old key when `old` holds a key column: left to it.
        if (column.primaryKey) return false
        continue
      }
      if (column.refused) return false
      if (column.missing) {
        rowDrifts = true
        driftIds.add(id)
      }
      if (column.target < 0) continue
      if (seenTargets[column.target] === stamp) return false
      seenTargets[column.target] = stamp
    }
    return true
  }

  const trailerText = (scan: CanalScan, partition: number, offset: string, op: 0 | 1, softDeleted: boolean): string => {
    let text = ''
    for (const [key, kind] of trailerKeys) text += `,${key}${JSON.stringify(metadataValue(kind, scan, partition, offset))}`
    text += constantsText
    if (softKey) text += `,${softKey}"${softDeleted ? 1 : 0}"`
    if (resolve.primaryKey) text += `,"__op":${op}`
    return text
  }

  // Whether a message's MySQL types send every value as canal wrote it, for the last types seen:
  // a table's messages repeat the same `mysqlType`, so one comparison of its bytes decides.
  let lastTypes: Buffer | null = null
  let lastTypesVerbatim = true
  const verbatimTypes = (scan: CanalScan): boolean => {
    if (scan.typesAt < 0) return true
    if (lastTypes && sameBytes(scan.value, scan.typesAt, scan.typesEnd, lastTypes)) return lastTypesVerbatim
    lastTypes = Buffer.from(scan.value.subarray(scan.typesAt, scan.typesEnd))
    lastTypesVerbatim = verbatim(JSON.parse(scan.value.toString('utf8', scan.typesAt, scan.typesEnd)) as unknown)
    return lastTypesVerbatim
  }
  const verbatim = (types: unknown): boolean => {
    if (typeof types !== 'object' || types === null) return true
    for (const [column, mysqlType] of Object.entries(types)) {
      if (typeof mysqlType !== 'string') continue
      const sent = resolve.targetOf(column)
      if (sent !== null && valueConversion(sourceTypeOf(mysqlType), kinds.get(sent) ?? 'other') !== null && kinds.get(sent) !== 'date') return false
    }
    return true
  }

  const apply = (scan: CanalScan, partition: number, offset: string, result: TableRows): boolean => {
    if (!usable || !verbatimTypes(scan)) return false
    driftRows = 0
    driftIds.clear()
    if (!resolveRows(scan, scan.dataAt, scan.rows, true)) return false
    if (dates && zeroDateIn(scan, columns)) return false
    if (scan.type === 'UPDATE' && resolve.primaryKey && !resolveRows(scan, scan.oldAt, scan.oldRows, false)) return false
    if (driftRows > 0) {
      result.driftRows += driftRows
      for (const id of driftIds) result.driftColumns.add(columns[id]!.name.toString('utf8'))
    }
    let op: 0 | 1 = 0
    let softDeleted = false
    if (scan.type === 'DELETE') {
      if (rule.deleteMode === 'soft' && resolve.softColumn) softDeleted = true
      else if (rule.deleteMode === 'hard' && resolve.primaryKey) op = 1
      else {
        result.ignoredDeletes += scan.rows
        return true
      }
    }
    // Metadata values are only worked out for rows that exist: a binlogTime of a bad `es` throws.
    if (scan.rows === 0) return true
    const trailerBody = trailerText(scan, partition, offset, op, softDeleted)
    const tail = Buffer.from(trailerBody + '}')
    const alone = `{${trailerBody.slice(1)}}`
    const { layout, value } = scan
    const body = result.body
    // A row with the keys of the row before is cut the same way: when that was one slice of the
    // message, its columns need no looking at.
    let oneSlice = false
    for (let r = 0, at = scan.dataAt; r < scan.rows; r++) {
      const next = at + rowHeader + layout[at + 2]! * keyFields
      if (oneSlice && layout[at + 3] === 1) {
        body.startRow()
        body.copy(value, layout[at]!, layout[next - keyFields + 3]!)
        body.copy(tail)
      } else {
        oneSlice = writeRow(scan, at, columns, tail, alone, body)
      }
      at = next
    }
    if (op === 1) result.deletes += scan.rows
    else result.upserts += scan.rows
    return true
  }
  return { apply }
}

/**
 * One row of the scan as the builder would write it, its bytes copied from the message (valid
 * UTF-8, so the same bytes the builder's string would encode to); `tail` closes it after the last
 * column, `alone` is the row when no column is sent. True when the row was its slice of the
 * message up to its last value, and `tail`.
 */
function writeRow(scan: CanalScan, at: number, columns: SourceColumn[], tail: Buffer, alone: string, body: JsonRowsBody): boolean {
  const { layout, value } = scan
  const keys = layout[at + 2]!
  const firstKey = at + rowHeader
  body.startRow()
  let written = false
  let oneSlice = keys > 0
  // A run of consecutive columns sent under their own names is copied as one slice; one that
  // starts at the first column takes the row's `{` with it.
  let runStart = -1
  let runEnd = -1
  for (let k = 0, p = firstKey; k <= keys; k++, p += keyFields) {
    const column = k < keys ? columns[layout[p + 4]!]! : undefined
    if (column && column.target >= 0 && column.key.length === 0) {
      if (runStart < 0) runStart = p === firstKey ? layout[at]! : layout[p]! - 1
      runEnd = layout[p + 3]!
      continue
    }
    if (column) oneSlice = false
    if (runStart >= 0) {
      if (written) body.byte(comma)
      else if (runStart !== layout[at]) body.byte(openBrace)
      body.copy(value, runStart, runEnd)
      written = true
      runStart = -1
    }
    if (column && column.target >= 0) {
      body.byte(written ? comma : openBrace)
      body.copy(column.key)
      body.copy(value, layout[p + 2]!, layout[p + 3]!)
      written = true
    }
  }
  if (written) body.copy(tail)
  else body.text(alone)
  return oneSlice
}

const zeroDate = Buffer.from('"0000-00-00')

/** Whether a value sent into a DATE or DATETIME column is a zero date, which the builder makes NULL. */
function zeroDateIn(scan: CanalScan, columns: SourceColumn[]): boolean {
  const { layout, value } = scan
  for (let r = 0, at = scan.dataAt; r < scan.rows; r++) {
    const next = at + rowHeader + layout[at + 2]! * keyFields
    for (let p = at + rowHeader; p < next; p += keyFields) {
      if (columns[layout[p + 4]!]!.date && sameBytes(value, layout[p + 2]!, layout[p + 2]! + zeroDate.length, zeroDate)) return true
    }
    at = next
  }
  return false
}

/**
 * A key JSON.parse would not keep in place: an array index sorts first in an object, and
 * `__proto__` does not land as a key when the builder assigns it.
 */
function awkwardKey(name: string): boolean {
  const c = name.charCodeAt(0)
  return (c >= 0x30 && c <= 0x39) || name === '__proto__'
}

function sameBytes(b: Buffer, start: number, end: number, other: Buffer): boolean {
  if (end - start !== other.length) return false
  for (let i = 0; i < other.length; i++) if (b[start + i] !== other[i]) return false
  return true
}

function grown(stamps: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(stamps.length * 2)
  bigger.set(stamps)
  return bigger
}

function grownGuesses(guesses: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(Math.max(length, guesses.length * 2)).fill(-1)
  bigger.set(guesses)
  return bigger
}
