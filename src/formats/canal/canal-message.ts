import { backslash, closeBrace, closeBracket, colon, openBrace, openBracket, quote, space } from '../../rows/json-bytes.ts'
import type { RowEvent, RowImage, SkippedEvent, UnreadableEvent, ChangeEvent } from '../row-event.ts'

export type { RowEvent, RowImage, SkippedEvent, UnreadableEvent } from '../row-event.ts'

/**
 * canal "flat messages" (canal.mq.flatMessage=true), reference cdc-formats.md §A. Every row value is
 * a JSON string or null; we keep those strings untouched so BIGINT UNSIGNED and DECIMAL keep their
 * precision all the way into StarRocks.
 */
export type CanalEvent = ChangeEvent

const ddlTypes = new Set(['CREATE', 'ALTER', 'ERASE', 'TRUNCATE', 'RENAME', 'CINDEX', 'DINDEX'])
const rowTypes = new Set(['INSERT', 'UPDATE', 'DELETE'])

export function decodeCanalMessage(value: Buffer | null): CanalEvent {
  if (value === null) return { kind: 'skip', reason: 'tombstone', database: '', table: '', type: '' }
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch (err) {
    return { kind: 'unreadable', reason: `invalid JSON: ${(err as Error).message}` }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'unreadable', reason: 'not a canal flat message: expected a JSON object' }
  }
  const m = parsed as Record<string, unknown>
  if (typeof m.type !== 'string') return { kind: 'unreadable', reason: 'not a canal flat message: "type" is missing or not a string' }
  const database = typeof m.database === 'string' ? m.database : ''
  const table = typeof m.table === 'string' ? m.table : ''
  const type = m.type
  const sql = typeof m.sql === 'string' ? m.sql : undefined
  const notRows = classifyCanalHeader({ type, database, table, isDdl: m.isDdl === true, hasData: m.data !== null && m.data !== undefined, sql })
  if (notRows) return notRows
  const data = readImages(m.data, 'data')
  if (typeof data === 'string') return { kind: 'unreadable', reason: data }
  let old: (RowImage | undefined)[] = []
  if (type === 'UPDATE' && m.old !== null && m.old !== undefined) {
    const images = readImages(m.old, 'old')
    if (typeof images === 'string') return { kind: 'unreadable', reason: images }
    if (images.length !== 0 && images.length !== data.length) {
      return { kind: 'unreadable', reason: `"old" has ${images.length} rows but "data" has ${data.length}` }
    }
    old = images
  }
  const pkNames = Array.isArray(m.pkNames) ? m.pkNames.filter((n): n is string => typeof n === 'string') : []
  // No prototype: a column named toString or __proto__ is a column like any other.
  const mysqlType: Record<string, string> = Object.create(null) as Record<string, string>
  if (typeof m.mysqlType === 'object' && m.mysqlType !== null && !Array.isArray(m.mysqlType)) {
    for (const [column, type] of Object.entries(m.mysqlType)) if (typeof type === 'string') mysqlType[column] = type
  }
  return {
    kind: 'rows',
    type: type as RowEvent['type'],
    database,
    table,
    es: typeof m.es === 'number' ? m.es : 0,
    pkNames,
    mysqlType,
    data,
    old,
  }
}

/** The header fields that decide what a message is before its rows are read. */
export type CanalHeader = { type: string; database: string; table: string; isDdl: boolean; hasData: boolean; sql: string | undefined }

/**
 * A message that is not a row event to read, or null when it is one: shared with the canal fast
 * path (canal-scan.ts), so both classify a message alike.
 */
export function classifyCanalHeader(h: CanalHeader): SkippedEvent | UnreadableEvent | null {
  const { type, database, table, sql } = h
  // isDdl is not reliable alone (canal #3418 sent CREATE with isDdl:false), so the type decides too.
  if (h.isDdl || ddlTypes.has(type)) return { kind: 'skip', reason: 'ddl', database, table, type, sql }
  if (type === 'QUERY') return { kind: 'skip', reason: 'query', database, table, type, sql }
  if (!rowTypes.has(type)) return { kind: 'skip', reason: 'unknown-type', database, table, type }
  if (!h.hasData) return { kind: 'skip', reason: 'statement-dml', database, table, type, sql }
  if (database === '' || table === '') return { kind: 'unreadable', reason: `${type} without "database" or "table"` }
  return null
}

function readImages(value: unknown, field: string): RowImage[] | string {
  if (!Array.isArray(value)) return `"${field}" must be an array of row objects`
  for (const [i, row] of value.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return `"${field}[${i}]" is not an object`
    for (const column in row) {
      // canal renders every value as a string; a number here means a producer we do not know.
      const v = (row as Record<string, unknown>)[column]
      if (v !== null && typeof v !== 'string') return `"${field}[${i}].${column}" is ${typeof v}, canal sends strings or null`
    }
  }
  return value as RowImage[]
}

/**
 * The binlog time (`es`, ms) of a raw message, null when it has none. A full parse: meant for one
 * message per partition now and then (the oldest one not loaded yet), never for every message.
 */
export function canalEventTime(value: Buffer | null): number | null {
  if (value === null) return null
  try {
    const es = (JSON.parse(value.toString('utf8')) as { es?: unknown } | null)?.es
    return typeof es === 'number' && es > 0 ? es : null
  } catch {
    return null
  }
}

/**
 * Rows a raw message holds, for cutting batches by commitBatch. Anything that is not a row event
 * counts as one, so a stream of DDL or garbage still cuts batches. A byte scan, not JSON.parse:
 * the fetcher sees every message and the loader parses it anyway, so parsing here would do the
 * hot path's most expensive step twice. It stops at the end of the first top-level "data" array
 * (JSON.parse would take the last one, if a message repeated the key). A miscount can only move a
 * batch boundary, never lose a row.
 */
export function canalRowCount(value: Buffer | null): number {
  if (value === null) return 1
  const n = value.length
  let depth = 0
  // The last string at depth 1, which is the key when a colon follows.
  let keyStart = 0
  let keyEnd = 0
  let awaitingData = false
  let inData = false
  let rows = 0
  let i = 0
  while (i < n) {
    const c = value[i]!
    if (c === quote) {
      // A string where the value of "data" belongs: not an array of rows.
      if (awaitingData) return 1
      // Most bytes are inside strings: a loop of their own skips them fastest.
      const start = ++i
      for (;;) {
        if (i >= n) return 1
        const s = value[i]!
        if (s === quote) break
        i += s === backslash ? 2 : 1
      }
      if (depth === 1) {
        keyStart = start
        keyEnd = i
      }
    } else if (c === colon) {
      if (depth === 1 && isDataKey(value, keyStart, keyEnd)) awaitingData = true
    } else if (c === openBrace || c === openBracket) {
      if (awaitingData) {
        if (c !== openBracket) return 1
        awaitingData = false
        inData = true
      }
      depth++
      if (inData && depth === 3 && c === openBrace) rows++
    } else if (c === closeBrace || c === closeBracket) {
      if (inData && depth === 2) return Math.max(rows, 1)
      depth--
    } else if (awaitingData && c > space) {
      // null, a number, true/false: no rows.
      return 1
    }
    i++
  }
  return 1
}

function isDataKey(b: Buffer, start: number, end: number): boolean {
  if (end - start === 4) return b[start] === 0x64 && b[start + 1] === 0x61 && b[start + 2] === 0x74 && b[start + 3] === 0x61
  // "d\u0061ta" is "data" too; canal never escapes a key, so this is rare.
  const escape = b.indexOf(backslash, start)
  if (end - start > 24 || escape < 0 || escape >= end) return false
  try {
    return JSON.parse(b.toString('utf8', start - 1, end + 1)) === 'data'
  } catch {
    return false
  }
}
