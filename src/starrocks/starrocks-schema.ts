import mysql from 'mysql2/promise'
import { parseJdbcUrl } from './jdbc-url.ts'

// Where callers found it before it had a file of its own.
export { parseJdbcUrl }

/**
 * Target table schemas, read from StarRocks' MySQL port (information_schema.COLUMNS) and cached.
 * `COLUMN_KEY` is `PRI` on the key columns of a Primary Key table, which is the only model where
 * `__op` deletes work (reference §7.1, §2.2).
 */
export type TableModel = 'PRIMARY' | 'DUPLICATE' | 'AGGREGATE' | 'UNIQUE'

/** `size` and `scale` are information_schema's COLUMN_SIZE and DECIMAL_DIGITS (string length, decimal digits). */
export type TargetColumn = { name: string; dataType: string; nullable: boolean; isKey: boolean; size?: number | null; scale?: number | null }

export type TargetTable = {
  database: string
  table: string
  model: TableModel
  columns: TargetColumn[]
  keyColumns: string[]
}

export type StarRocksSql = { jdbcUrl: string; user: string; password: string }

export type SchemaCache = {
  /** The table's schema, or null when it does not exist. */
  table(database: string, table: string): Promise<TargetTable | null>
  invalidate(database: string, table: string): void
  /** Read again now, whatever the cache holds: after a schema change, or when rows carry columns it lacks. */
  refresh(database: string, table: string): Promise<TargetTable | null>
  close(): Promise<void>
}

const missingTtlMs = 5_000

const modelByKey: Record<string, TableModel> = { PRI: 'PRIMARY', DUP: 'DUPLICATE', AGG: 'AGGREGATE', UNI: 'UNIQUE' }

/**
 * `queryTimeoutMs` bounds each lookup: a pooled connection that died without a word (a network
 * partition, a firewall or NAT that dropped it) would otherwise hold the lookup, and the batch
 * waiting for it, until TCP gives up about 15 minutes later. mysql2's own query timeout only
 * rejects the query and hands the connection back with its command still pending, so a lookup that
 * fails destroys its connection; the batch's retry opens a new one.
 */
export function createSchemaCache(target: StarRocksSql, ttlMs = 60_000, queryTimeoutMs = 10_000): SchemaCache {
  const { host, port, mysql: options } = parseJdbcUrl(target.jdbcUrl)
  const pool = mysql.createPool({ host, port, user: target.user, password: target.password, connectionLimit: 2, connectTimeout: 10_000, ...options })
  const cache = new Map<string, { at: number; ttl: number; value: Promise<TargetTable | null> }>()
  // Connected now, while the first batch is read from Redis: the handshake is then off the first
  // load's path (it was about 0.1 s of it). A failure here is met again, and said, by the lookup.
  pool.getConnection().then((connection) => connection.release(), () => {})

  async function query(sql: string, values: string[]): Promise<unknown> {
    const connection = await pool.getConnection()
    try {
      const [rows] = await connection.query({ sql, timeout: queryTimeoutMs }, values)
      connection.release()
      return rows
    } catch (err) {
      connection.destroy()
      throw err
    }
  }

  async function read(database: string, table: string): Promise<TargetTable | null> {
    const rows = await query(
      'SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_SIZE, DECIMAL_DIGITS FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, table],
    )
    const list = rows as { COLUMN_NAME: string; DATA_TYPE: string; IS_NULLABLE: string; COLUMN_KEY: string; COLUMN_SIZE: string | number | null; DECIMAL_DIGITS: string | number | null }[]
    if (list.length === 0) return null
    const number = (v: string | number | null) => (v === null || v === undefined ? null : Number(v))
    const columns = list.map((r) => ({
      name: r.COLUMN_NAME,
      dataType: r.DATA_TYPE,
      nullable: r.IS_NULLABLE === 'YES',
      isKey: r.COLUMN_KEY !== '',
      size: number(r.COLUMN_SIZE),
      scale: number(r.DECIMAL_DIGITS),
    }))
    const keyKind = list.find((r) => r.COLUMN_KEY !== '')?.COLUMN_KEY ?? 'DUP'
    return {
      database,
      table,
      model: modelByKey[keyKind] ?? 'DUPLICATE',
      columns,
      keyColumns: columns.filter((c) => c.isKey).map((c) => c.name),
    }
  }

  const cache_ = {
    table(database: string, table: string): Promise<TargetTable | null> {
      const key = `${database}\u0000${table}`
      const hit = cache.get(key)
      if (hit && Date.now() - hit.at < hit.ttl) return hit.value
      const entry = { at: Date.now(), ttl: ttlMs, value: read(database, table) }
      cache.set(key, entry)
      // A failed lookup is not cached, and a missing table is asked for again soon: the user is
      // probably creating it right now.
      entry.value.then(
        (found) => { if (!found) entry.ttl = Math.min(ttlMs, missingTtlMs) },
        () => cache.delete(key),
      )
      return entry.value
    },
    invalidate(database: string, table: string) {
      cache.delete(`${database}\u0000${table}`)
    },
    refresh(database: string, table: string) {
      cache_.invalidate(database, table)
      return cache_.table(database, table)
    },
    close: () => pool.end(),
  }
  return cache_
}
