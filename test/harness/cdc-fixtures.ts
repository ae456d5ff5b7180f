/**
 * Debezium and Maxwell records as those tools write them (cdc-formats.md §B and §C), built from a
 * row in MySQL's own text (what `SELECT` shows): the encoders here go from MySQL to the tool's JSON,
 * the opposite way of src/formats, and share no code with it. JSON is written by hand where a value
 * must keep more digits than a double holds.
 */
export type MysqlRow = Record<string, string | null>

/** How a column is typed in MySQL, which decides its Debezium and Maxwell encodings. */
export type ColumnKind =
  | { kind: 'bigint' }
  | { kind: 'bigint-unsigned' }
  | { kind: 'varchar' }
  | { kind: 'decimal'; scale: number }
  | { kind: 'date' }
  | { kind: 'datetime'; fsp: number }
  /** The row holds the instant as ISO UTC (`2024-01-02T03:04:05.123456Z`). */
  | { kind: 'timestamp' }
  | { kind: 'time' }
  | { kind: 'json' }
  | { kind: 'set' }
  | { kind: 'bit'; length: number }
  | { kind: 'blob' }
  | { kind: 'double' }

export type Columns = Record<string, ColumnKind>

/** Raw JSON text, written as is by json() below. */
class Raw {
  constructor(readonly text: string) {}
}

type J = null | boolean | number | string | Raw | J[] | { [k: string]: J }

export function json(v: J): string {
  if (v instanceof Raw) return v.text
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(json).join(',')}]`
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${json(x)}`).join(',')}}`
}

// ---- Debezium -------------------------------------------------------------------------------

function twosComplementBase64(unscaled: bigint): string {
  let hex = (unscaled < 0n ? (1n << 128n) + unscaled : unscaled).toString(16)
  if (hex.length % 2) hex = '0' + hex
  let bytes = Buffer.from(hex, 'hex')
  if (unscaled < 0n) {
    // Drop leading 0xff bytes the sign does not need.
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0xff && bytes[i + 1]! >= 0x80) i++
    bytes = bytes.subarray(i)
  } else if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return bytes.toString('base64')
}

function unscaledOf(text: string, scale: number): bigint {
  const negative = text.startsWith('-')
  const [whole, frac = ''] = text.replace('-', '').split('.')
  const n = BigInt(whole + frac.padEnd(scale, '0'))
  return negative ? -n : n
}

const epochDays = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000

function epochMicros(datetime: string): bigint {
  const [date, time = '00:00:00'] = datetime.split(' ')
  const [hms, frac = ''] = time.split('.')
  const [h, m, s] = hms!.split(':').map(Number)
  const seconds = BigInt(epochDays(date!)) * 86_400n + BigInt(h! * 3600 + m! * 60 + s!)
  return seconds * 1_000_000n + BigInt(frac.padEnd(6, '0'))
}

function timeMicros(time: string): bigint {
  const negative = time.startsWith('-')
  const [hms, frac = ''] = time.replace('-', '').split('.')
  const [h, m, s] = hms!.split(':').map(Number)
  const n = BigInt(h! * 3600 + m! * 60 + s!) * 1_000_000n + BigInt(frac.padEnd(6, '0'))
  return negative ? -n : n
}

function debeziumValue(kind: ColumnKind, v: string | null): J {
  if (v === null) return null
  switch (kind.kind) {
    case 'bigint':
    case 'bigint-unsigned':
    case 'double':
      return new Raw(v)
    case 'decimal':
      return twosComplementBase64(unscaledOf(v, kind.scale))
    case 'date':
      return epochDays(v)
    case 'datetime':
      return kind.fsp <= 3 ? new Raw(String(epochMicros(v) / 1000n)) : new Raw(String(epochMicros(v)))
    case 'timestamp':
      return v
    case 'time':
      return new Raw(String(timeMicros(v)))
    case 'bit': {
      const bytes = Buffer.alloc(Math.ceil(kind.length / 8))
      let n = BigInt(v)
      for (let i = 0; i < bytes.length; i++, n >>= 8n) bytes[i] = Number(n & 0xffn)
      return bytes.toString('base64')
    }
    case 'blob':
      return Buffer.from(v, 'latin1').toString('base64')
    case 'varchar':
    case 'json':
    case 'set':
      return v
  }
}

function debeziumField(name: string, kind: ColumnKind): J {
  const f = (type: string, logical?: string, parameters?: Record<string, string>): J => ({ type, optional: true, ...(logical ? { name: logical } : {}), ...(parameters ? { parameters } : {}), field: name })
  switch (kind.kind) {
    case 'bigint':
    case 'bigint-unsigned':
      return f('int64')
    case 'double':
      return f('double')
    case 'decimal':
      return f('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: String(kind.scale), 'connect.decimal.precision': '38' })
    case 'date':
      return f('int32', 'io.debezium.time.Date')
    case 'datetime':
      return kind.fsp <= 3 ? f('int64', 'io.debezium.time.Timestamp') : f('int64', 'io.debezium.time.MicroTimestamp')
    case 'timestamp':
      return f('string', 'io.debezium.time.ZonedTimestamp')
    case 'time':
      return f('int64', 'io.debezium.time.MicroTime')
    case 'json':
      return f('string', 'io.debezium.data.Json')
    case 'set':
      return f('string', 'io.debezium.data.EnumSet', { allowed: 'a,b,c' })
    case 'bit':
      return f('bytes', 'io.debezium.data.Bits', { length: String(kind.length) })
    case 'blob':
      return f('bytes')
    case 'varchar':
      return f('string')
  }
}

function debeziumRow(columns: Columns, row: MysqlRow | null): J {
  if (row === null) return null
  return Object.fromEntries(Object.entries(row).map(([c, v]) => [c, debeziumValue(columns[c] ?? { kind: 'varchar' }, v)]))
}

export type DebeziumChange = {
  op: 'c' | 'r' | 'u' | 'd' | 't'
  db: string
  table: string
  before?: MysqlRow | null
  after?: MysqlRow | null
  /** Binlog time, ms. */
  tsMs?: number
}

/** A change envelope, with the schema (`schemas.enable=true`) or without. */
export function debezium(change: DebeziumChange, columns: Columns, opts: { schema: boolean }): string {
  const payload: J = {
    before: debeziumRow(columns, change.before ?? null),
    after: debeziumRow(columns, change.after ?? null),
    source: { version: '2.7.0.Final', connector: 'mysql', name: 'srv', ts_ms: change.tsMs ?? 1_700_000_000_000, snapshot: change.op === 'r' ? 'true' : 'false', db: change.db, sequence: null, table: change.table, server_id: 1, gtid: null, file: 'mysql-bin.000003', pos: 4242, row: 0, thread: 7, query: null },
    op: change.op,
    ts_ms: Date.now(),
    transaction: null,
  }
  if (!opts.schema) return json(payload)
  const rowSchema = (field: string): J => ({ type: 'struct', fields: Object.entries(columns).map(([n, k]) => debeziumField(n, k)), optional: true, name: `srv.${change.db}.${change.table}.Value`, field })
  const schema: J = {
    type: 'struct',
    fields: [rowSchema('before'), rowSchema('after'), { type: 'struct', fields: [], optional: false, name: 'io.debezium.connector.mysql.Source', field: 'source' }, { type: 'string', optional: false, field: 'op' }, { type: 'int64', optional: true, field: 'ts_ms' }],
    optional: false,
    name: `srv.${change.db}.${change.table}.Envelope`,
    version: 1,
  }
  return json({ schema, payload })
}

/** The message key: the row's primary key, with or without its schema. */
export function debeziumKey(key: MysqlRow, columns: Columns, opts: { schema: boolean }): string {
  const payload = debeziumRow(columns, key)
  if (!opts.schema) return json(payload)
  return json({ schema: { type: 'struct', fields: Object.keys(key).map((n) => debeziumField(n, columns[n] ?? { kind: 'varchar' })), optional: false, name: 'srv.db.t.Key' }, payload })
}

/**
 * ExtractNewRecordState with delete.handling.mode=rewrite and add.fields=op,table,db,source.ts_ms;
 * with `schema`, the JsonConverter's envelope around it (the Value struct, columns as fields).
 */
export function debeziumFlat(change: DebeziumChange, columns: Columns, opts: { schema?: boolean } = {}): string {
  const row = change.op === 'd' ? change.before! : change.after!
  const added: Record<string, J> = { __op: change.op, __table: change.table, __db: change.db, __source_ts_ms: change.tsMs ?? 1_700_000_000_000, __deleted: change.op === 'd' ? 'true' : 'false' }
  const payload: J = { ...(debeziumRow(columns, row) as Record<string, J>), ...added }
  if (!opts.schema) return json(payload)
  const fields = [
    ...Object.keys(row).map((n) => debeziumField(n, columns[n] ?? { kind: 'varchar' })),
    ...Object.keys(added).map((n) => ({ type: n === '__source_ts_ms' ? 'int64' : 'string', optional: true, field: n })),
  ]
  return json({ schema: { type: 'struct', fields, optional: false, name: `srv.${change.db}.${change.table}.Value` }, payload })
}

export const debeziumHeartbeat = (): string => json({ ts_ms: Date.now() })
export const debeziumTransaction = (status: 'BEGIN' | 'END', id: string): string =>
  json({ status, id, event_count: status === 'END' ? 2 : null, data_collections: status === 'END' ? [{ data_collection: 'shop.orders', event_count: 2 }] : null, ts_ms: Date.now() })
export const debeziumSchemaChange = (db: string, table: string, ddl: string): string =>
  json({ source: { db, table, ts_ms: 1_700_000_000_000 }, databaseName: db, schemaName: null, ddl, tableChanges: [{ type: 'ALTER', id: `"${db}"."${table}"`, table: null }] })

// ---- Maxwell --------------------------------------------------------------------------------

function maxwellValue(kind: ColumnKind, v: string | null): J {
  if (v === null) return null
  switch (kind.kind) {
    case 'bigint':
    case 'bigint-unsigned':
    case 'decimal':
    case 'double':
    case 'bit':
      return new Raw(v)
    case 'timestamp': {
      // Maxwell formats TIMESTAMP with a UTC calendar, fraction to the column's precision.
      const iso = v.replace('Z', '')
      return iso.replace('T', ' ')
    }
    case 'json':
      return new Raw(v)
    case 'set':
      return v === '' ? [] : v.split(',')
    case 'blob':
      return Buffer.from(v, 'latin1').toString('base64')
    default:
      return v
  }
}

export type MaxwellChange = { type: string; database: string; table: string; data?: MysqlRow; old?: MysqlRow; ts?: number; xid?: number; commit?: boolean }

export function maxwell(change: MaxwellChange, columns: Columns): string {
  const row = (r: MysqlRow) => Object.fromEntries(Object.entries(r).map(([c, v]) => [c, maxwellValue(columns[c] ?? { kind: 'varchar' }, v)]))
  return json({
    database: change.database,
    table: change.table,
    type: change.type,
    ts: change.ts ?? 1_700_000_000,
    xid: change.xid ?? 8249,
    ...(change.commit ? { commit: true } : {}),
    data: change.data ? row(change.data) : {},
    ...(change.old ? { old: row(change.old) } : {}),
  })
}

export const maxwellKey = (database: string, table: string, key: MysqlRow): string =>
  json({ database, table, ...Object.fromEntries(Object.entries(key).map(([c, v]) => [`pk.${c}`, v === null ? null : /^-?\d+$/.test(v) ? new Raw(v) : v])) })

export const maxwellDdl = (type: string, database: string, table: string, sql: string): string =>
  json({ type, database, table, def: { database, table, columns: [] }, ts: 1_700_000_000_000, sql })
