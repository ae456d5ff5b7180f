import { isJsonNumber, numberText, parseJson, type JsonValue } from '../lossless-json.ts'
import type { ChangeEvent, RowImage, SourceRecord } from '../row-event.ts'
import { isObject, valueText } from '../value-text.ts'

/**
 * Maxwell's daemon records, cdc-formats.md §C: one row per message; insert, update (with `old`, the
 * columns whose value changed), delete; bootstrap-insert loads like an insert, bootstrap-start and
 * -complete are counted; table-* and database-* records are schema changes. `xid`, `commit`,
 * `xoffset` and the other transaction fields carry nothing to load.
 *
 * Values: numbers keep every digit (BIGINT UNSIGNED, DECIMAL), a SET's array becomes MySQL's
 * "a,b", an embedded JSON document MySQL's JSON text, BIT the number, zero dates the zero date
 * text canal also sends. BLOBs arrive as Maxwell's base64 text: without a schema they cannot be
 * told from strings, so values go as sent, and the events say `binaryRendering: 'base64'` so a
 * VARBINARY target takes them as the bytes they encode (src/rows/value-types.ts).
 */
type Message = { [key: string]: JsonValue }

const rowTypes = { insert: 'INSERT', 'bootstrap-insert': 'INSERT', update: 'UPDATE', delete: 'DELETE' } as const

export function decodeMaxwellMessage(record: SourceRecord): ChangeEvent {
  if (record.value === null) return { kind: 'skip', reason: 'tombstone', database: '', table: '', type: '' }
  let m: JsonValue
  try {
    m = parseJson(record.value.toString('utf8'))
  } catch (err) {
    return { kind: 'unreadable', reason: `invalid JSON: ${(err as Error).message}` }
  }
  if (!isObject(m)) return { kind: 'unreadable', reason: 'not a Maxwell record: expected a JSON object' }
  if (typeof m.type !== 'string') return { kind: 'unreadable', reason: 'not a Maxwell record: "type" is missing or not a string' }
  const type = m.type
  const database = typeof m.database === 'string' ? m.database : ''
  const table = typeof m.table === 'string' ? m.table : ''
  if (type.startsWith('table-') || type.startsWith('database-')) {
    return { kind: 'skip', reason: 'ddl', database, table, type, sql: typeof m.sql === 'string' ? m.sql : undefined }
  }
  if (type === 'bootstrap-start' || type === 'bootstrap-complete') return { kind: 'skip', reason: 'bootstrap', database, table, type }
  const rowType = rowTypes[type as keyof typeof rowTypes]
  if (!rowType) return { kind: 'skip', reason: 'unknown-type', database, table, type }
  if (database === '' || table === '') return { kind: 'unreadable', reason: `${type} without "database" or "table"` }
  if (!isObject(m.data)) return { kind: 'unreadable', reason: '"data" must be an object (the row)' }
  const data = rowImage(m.data)
  let old: RowImage | undefined
  if (rowType === 'UPDATE' && m.old !== undefined && m.old !== null) {
    if (!isObject(m.old)) return { kind: 'unreadable', reason: '"old" must be an object' }
    old = rowImage(m.old)
  }
  return {
    kind: 'rows',
    type: rowType,
    database,
    table,
    es: isJsonNumber(m.ts) ? Number(numberText(m.ts)) * 1000 : 0,
    pkNames: primaryKeyColumns(m, record.key),
    mysqlType: jsonColumns(m.data),
    binaryRendering: 'base64',
    data: [data],
    old: old ? [old] : [],
  }
}

function rowImage(v: Message): RowImage {
  const row: RowImage = {}
  for (const column in v) row[column] = maxwellValue(v[column]!)
  return row
}

/** A SET is a JSON array of its members; MySQL writes it as "a,b". */
function maxwellValue(v: JsonValue): string | null {
  if (Array.isArray(v) && v.every((member) => typeof member === 'string')) return v.join(',')
  return valueText(v)
}

/** Maxwell embeds a JSON column's document: an object, or an array that is not a SET's strings. */
function jsonColumns(row: Message): Record<string, string> {
  const types: Record<string, string> = {}
  for (const column in row) {
    const v = row[column]!
    if (isObject(v) || (Array.isArray(v) && !v.every((member) => typeof member === 'string'))) types[column] = 'json'
  }
  return types
}

/** `primary_key_columns` when Maxwell sends it, else the key: {"database":…,"table":…,"pk.id":4}. */
function primaryKeyColumns(m: Message, key: Buffer | null): string[] {
  if (Array.isArray(m.primary_key_columns)) return m.primary_key_columns.filter((c): c is string => typeof c === 'string')
  if (key === null) return []
  try {
    const k = parseJson(key.toString('utf8'))
    if (isObject(k)) return Object.keys(k).filter((n) => n.startsWith('pk.')).map((n) => n.slice(3))
    // kafka_key_format=array: ["db","tbl",[{"id":4}]]
    if (Array.isArray(k) && Array.isArray(k[2])) return k[2].flatMap((c) => (isObject(c) ? Object.keys(c) : []))
  } catch {
    // A key we cannot read only costs the preview its guess of the key columns.
  }
  return []
}

/** The binlog time (ms) of a raw record, null when it has none: for the lag in seconds. */
export function maxwellEventTime(value: Buffer | null): number | null {
  if (value === null) return null
  try {
    const m = JSON.parse(value.toString('utf8')) as { ts?: unknown; type?: unknown } | null
    if (typeof m?.ts !== 'number' || m.ts <= 0) return null
    // DDL records carry milliseconds, row records seconds.
    return typeof m.type === 'string' && (m.type.startsWith('table-') || m.type.startsWith('database-')) ? m.ts : m.ts * 1000
  } catch {
    return null
  }
}
