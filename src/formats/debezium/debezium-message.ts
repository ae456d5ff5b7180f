import { parseJson, type JsonValue } from '../lossless-json.ts'
import type { ChangeEvent, RowEvent, RowImage, SourceRecord } from '../row-event.ts'
import { isObject, valueText } from '../value-text.ts'
import { DebeziumValueError, rendererFor, type FieldSchema, type ValueRenderer } from './debezium-values.ts'

/**
 * Debezium MySQL connector records (JSON converter), cdc-formats.md §B: the `schema`/`payload`
 * envelope or the bare payload; the change envelope (`op` c/r/u/d/t) or the flattened row of
 * ExtractNewRecordState (with `__deleted`, `__op`, `__table`, `__db`); tombstones, transaction
 * metadata, heartbeats and schema-change records are skipped and counted. Snapshot reads load like
 * inserts; a key change arrives from Debezium as a delete and a create, which is what loads.
 */
export type DebeziumOptions = { timeZone: string }

type Payload = { [key: string]: JsonValue }

export function decodeDebeziumMessage(record: SourceRecord, opts: DebeziumOptions): ChangeEvent {
  const named = topicTable(record.topic)
  if (record.value === null) return { kind: 'skip', reason: 'tombstone', ...named, type: '' }
  let parsed: JsonValue
  try {
    parsed = parseJson(record.value.toString('utf8'))
  } catch (err) {
    return { kind: 'unreadable', reason: `invalid JSON: ${(err as Error).message}` }
  }
  if (!isObject(parsed)) return { kind: 'unreadable', reason: 'not a Debezium record: expected a JSON object' }
  const enveloped = 'payload' in parsed && 'schema' in parsed
  const payload = enveloped ? parsed.payload! : parsed
  const schema = enveloped && isObject(parsed.schema) ? parsed.schema : null
  if (payload === null) return { kind: 'skip', reason: 'tombstone', ...named, type: '' }
  if (!isObject(payload)) return { kind: 'unreadable', reason: 'not a Debezium record: "payload" is not an object' }
  const schemaName = typeof schema?.name === 'string' ? schema.name : ''

  if (schemaName.endsWith('.Heartbeat') || record.topic.startsWith('__debezium-heartbeat') || isHeartbeat(payload)) {
    return { kind: 'skip', reason: 'heartbeat', database: '', table: '', type: 'heartbeat' }
  }
  if (schemaName.endsWith('.TransactionMetadataValue') || isTransaction(payload)) {
    return { kind: 'skip', reason: 'transaction', database: '', table: '', type: String(payload.status) }
  }
  if (typeof payload.ddl === 'string' && ('databaseName' in payload || 'tableChanges' in payload)) return schemaChange(payload)

  try {
    const key = keyImage(record.key)
    if (typeof payload.op === 'string' && isObject(payload.source)) return changeEnvelope(payload, schema, key, opts)
    return flattened(payload, schema, key, named, opts)
  } catch (err) {
    if (err instanceof DebeziumValueError) return { kind: 'unreadable', reason: err.message }
    throw err
  }
}

function changeEnvelope(payload: Payload, schema: Payload | null, key: KeyImage, opts: DebeziumOptions): ChangeEvent {
  const source = payload.source as Payload
  const database = typeof source.db === 'string' ? source.db : ''
  const table = typeof source.table === 'string' ? source.table : ''
  const op = payload.op as string
  if (op === 't') return { kind: 'skip', reason: 'ddl', database, table, type: 'TRUNCATE' }
  const type = ({ c: 'INSERT', r: 'INSERT', u: 'UPDATE', d: 'DELETE' } as const)[op]
  if (!type) return { kind: 'skip', reason: 'unknown-type', database, table, type: op }
  if (database === '' || table === '') return { kind: 'unreadable', reason: `op "${op}" without source.db or source.table` }
  const fields = imageFields(schema)
  const render = renderers(fields, opts)
  const image = (field: 'before' | 'after'): RowImage | null => {
    const v = payload[field]
    if (v === null || v === undefined) return null
    if (!isObject(v)) throw new DebeziumValueError(`"${field}" is not an object`)
    return withKey(rowImage(v, render), key)
  }
  const after = type === 'DELETE' ? null : image('after')
  const before = image('before')
  const row = type === 'DELETE' ? (before ?? (key.names.length > 0 ? key.image : null)) : after
  if (!row) return { kind: 'unreadable', reason: type === 'DELETE' ? 'op "d" with no "before" and no message key' : `op "${op}" with no "after"` }
  return {
    kind: 'rows',
    type,
    database,
    table,
    es: eventTime(source.ts_ms, payload.ts_ms),
    pkNames: key.names,
    mysqlType: mysqlTypes(fields),
    data: [row],
    old: type === 'UPDATE' && before ? [before] : [],
  }
}

/** ExtractNewRecordState's output: the row itself, plus the fields `add.fields` asked for. */
function flattened(payload: Payload, schema: Payload | null, key: KeyImage, named: { database: string; table: string }, opts: DebeziumOptions): ChangeEvent {
  const database = typeof payload.__db === 'string' ? payload.__db : typeof payload.__source_db === 'string' ? payload.__source_db : named.database
  const table = typeof payload.__table === 'string' ? payload.__table : typeof payload.__source_table === 'string' ? payload.__source_table : named.table
  const op = typeof payload.__op === 'string' ? payload.__op : undefined
  if (database === '' || table === '') {
    return { kind: 'unreadable', reason: 'not a Debezium record: no "op" and "source", and no table in "__db"/"__table" or the topic name (<prefix>.<db>.<table>)' }
  }
  if (op === 't') return { kind: 'skip', reason: 'ddl', database, table, type: 'TRUNCATE' }
  const deleted = payload.__deleted === 'true' || payload.__deleted === true || op === 'd'
  const columns: Payload = {}
  for (const name in payload) if (!addedField(name)) columns[name] = payload[name]!
  const fields = schema && Array.isArray(schema.fields) ? fieldMap(schema.fields) : null
  const row = withKey(rowImage(columns, renderers(fields, opts)), key)
  const type: RowEvent['type'] = deleted ? 'DELETE' : op === 'u' ? 'UPDATE' : 'INSERT'
  return { kind: 'rows', type, database, table, es: eventTime(payload.__source_ts_ms, payload.__ts_ms), pkNames: key.names, mysqlType: mysqlTypes(fields), data: [row], old: [] }
}

// add.fields' default prefix is "__"; these are the fields it and delete rewriting add.
function addedField(name: string): boolean {
  return name === '__deleted' || name === '__op' || name === '__table' || name === '__db' || name === '__ts_ms' || name.startsWith('__source_')
}

function schemaChange(payload: Payload): ChangeEvent {
  const database = typeof payload.databaseName === 'string' ? payload.databaseName : ''
  const changes = Array.isArray(payload.tableChanges) ? payload.tableChanges : []
  const first = changes[0]
  const id = isObject(first) && typeof first.id === 'string' ? first.id : ''
  // tableChanges ids are "db"."table" with the quotes.
  const table = id.split('.').pop()?.replace(/^"|"$/g, '') ?? ''
  const type = isObject(first) && typeof first.type === 'string' ? first.type : 'DDL'
  return { kind: 'skip', reason: 'ddl', database, table, type, sql: payload.ddl as string }
}

function isHeartbeat(p: Payload): boolean {
  const keys = Object.keys(p)
  return keys.length === 1 && keys[0] === 'ts_ms'
}

function isTransaction(p: Payload): boolean {
  return (p.status === 'BEGIN' || p.status === 'END') && typeof p.id === 'string' && ('event_count' in p || 'data_collections' in p)
}

/** The envelope's `after` (or `before`) struct: the column fields, by name. */
function imageFields(schema: Payload | null): Map<string, FieldSchema> | null {
  if (!schema || !Array.isArray(schema.fields)) return null
  for (const f of schema.fields) {
    if (isObject(f) && (f.field === 'after' || f.field === 'before') && Array.isArray(f.fields)) return fieldMap(f.fields)
  }
  return null
}

function fieldMap(fields: JsonValue[]): Map<string, FieldSchema> {
  const map = new Map<string, FieldSchema>()
  for (const f of fields) if (isObject(f) && typeof f.field === 'string') map.set(f.field, f as FieldSchema)
  return map
}

/**
 * What the schema says of a column that decides its target conversion (src/rows/value-types.ts):
 * JSON documents, and bytes, which the renderer gives as canal's one character per byte.
 */
function mysqlTypes(fields: Map<string, FieldSchema> | null): Record<string, string> {
  const types: Record<string, string> = {}
  if (!fields) return types
  for (const [column, f] of fields) {
    if (f.name === 'io.debezium.data.Json') types[column] = 'json'
    else if (f.name?.startsWith('io.debezium.data.geometry.')) types[column] = 'geometry'
    else if (f.type === 'bytes' && f.name === undefined) types[column] = 'blob'
  }
  return types
}

type Renderers = (column: string) => ValueRenderer

function renderers(fields: Map<string, FieldSchema> | null, opts: DebeziumOptions): Renderers {
  if (!fields) return () => valueText
  const cache = new Map<string, ValueRenderer>()
  return (column) => {
    let r = cache.get(column)
    if (!r) cache.set(column, (r = rendererFor(fields.get(column), opts.timeZone)))
    return r
  }
}

function rowImage(v: Payload, render: Renderers): RowImage {
  const row: RowImage = {}
  for (const column in v) {
    try {
      row[column] = render(column)(v[column]!)
    } catch (err) {
      if (err instanceof DebeziumValueError) throw new DebeziumValueError(`column ${column}: ${err.message}`)
      throw err
    }
  }
  return row
}

type KeyImage = { names: string[]; image: RowImage }

/** The message key: the row's primary key, `{"id":1}` or inside a schema/payload envelope. */
function keyImage(key: Buffer | null): KeyImage {
  if (key === null || key.length === 0) return { names: [], image: {} }
  let parsed: JsonValue
  try {
    parsed = parseJson(key.toString('utf8'))
  } catch {
    return { names: [], image: {} }
  }
  const enveloped = isObject(parsed) && 'payload' in parsed && 'schema' in parsed
  const payload = enveloped ? (parsed as Payload).payload : parsed
  if (!isObject(payload)) return { names: [], image: {} }
  const schema = enveloped && isObject((parsed as Payload).schema) ? ((parsed as Payload).schema as Payload) : null
  const fields = schema && Array.isArray(schema.fields) ? fieldMap(schema.fields) : null
  const image = rowImage(payload, fields ? (c) => rendererFor(fields.get(c), 'UTC') : () => valueText)
  return { names: Object.keys(image), image }
}

/** Key columns the value lacks come from the message key. */
function withKey(row: RowImage, key: KeyImage): RowImage {
  for (const name of key.names) if (!(name in row)) row[name] = key.image[name]!
  return row
}

function eventTime(...candidates: (JsonValue | undefined)[]): number {
  for (const c of candidates) {
    const n = typeof c === 'number' ? c : Number(valueText(c ?? null) ?? NaN)
    if (Number.isFinite(n) && n > 0) return n
  }
  return 0
}

/** Debezium names its topics <prefix>.<database>.<table>. */
function topicTable(topic: string): { database: string; table: string } {
  const parts = topic.split('.')
  return parts.length >= 3 ? { database: parts.at(-2)!, table: parts.at(-1)! } : { database: '', table: '' }
}

/** The binlog time (ms) of a raw record, null when it has none: for the lag in seconds. */
export function debeziumEventTime(value: Buffer | null): number | null {
  if (value === null) return null
  try {
    const m = JSON.parse(value.toString('utf8')) as { payload?: Payload; source?: Payload; __source_ts_ms?: unknown } | null
    const payload = (m && 'payload' in m && 'schema' in m ? m.payload : m) as Payload | null
    const ts = isObject(payload ?? undefined) ? (isObject(payload!.source) ? payload!.source.ts_ms : payload!.__source_ts_ms) : undefined
    return typeof ts === 'number' && ts > 0 ? ts : null
  } catch {
    return null
  }
}
