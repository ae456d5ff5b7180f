import mysql from 'mysql2/promise'

/**
 * Target table schemas, read from StarRocks' MySQL port (information_schema.COLUMNS) and cached.
 * `COLUMN_KEY` is `PRI` on the key columns of a Primary Key table, which is the only model where
 * `__op` deletes work (reference §7.1, §2.2).
 */
export type TableModel = 'PRIMARY' | 'DUPLICATE' | 'AGGREGATE' | 'UNIQUE'

export type TargetColumn = { name: string; dataType: string; nullable: boolean; isKey: boolean }

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
  close(): Promise<void>
}

const missingTtlMs = 5_000

const modelByKey: Record<string, TableModel> = { PRI: 'PRIMARY', DUP: 'DUPLICATE', AGG: 'AGGREGATE', UNI: 'UNIQUE' }

export function parseJdbcUrl(jdbcUrl: string): { host: string; port: number } {
  const match = /^jdbc:mysql:\/\/([^:/?#]+)(?::(\d+))?\/?$/.exec(jdbcUrl.trim())
  if (!match) throw new Error(`jdbcUrl must look like jdbc:mysql://host:port/ (no database), got ${jdbcUrl}`)
  return { host: match[1]!, port: match[2] ? Number(match[2]) : 9030 }
}

/**
 * `queryTimeoutMs` bounds each lookup: a pooled connection that died without a word (a network
 * partition, a firewall or NAT that dropped it) would otherwise hold the lookup, and the batch
 * waiting for it, until TCP gives up about 15 minutes later. mysql2's own query timeout only
 * rejects the query and hands the connection back with its command still pending, so a lookup that
 * fails destroys its connection; the batch's retry opens a new one.
 */
export function createSchemaCache(target: StarRocksSql, ttlMs = 60_000, queryTimeoutMs = 10_000): SchemaCache {
  const { host, port } = parseJdbcUrl(target.jdbcUrl)
  const pool = mysql.createPool({ host, port, user: target.user, password: target.password, connectionLimit: 2, connectTimeout: 10_000 })
  const cache = new Map<string, { at: number; ttl: number; value: Promise<TargetTable | null> }>()

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
      'SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, table],
    )
    const list = rows as { COLUMN_NAME: string; DATA_TYPE: string; IS_NULLABLE: string; COLUMN_KEY: string }[]
    if (list.length === 0) return null
    const columns = list.map((r) => ({ name: r.COLUMN_NAME, dataType: r.DATA_TYPE, nullable: r.IS_NULLABLE === 'YES', isKey: r.COLUMN_KEY !== '' }))
    const keyKind = list.find((r) => r.COLUMN_KEY !== '')?.COLUMN_KEY ?? 'DUP'
    return {
      database,
      table,
      model: modelByKey[keyKind] ?? 'DUPLICATE',
      columns,
      keyColumns: columns.filter((c) => c.isKey).map((c) => c.name),
    }
  }

  return {
    table(database, table) {
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
    invalidate(database, table) {
      cache.delete(`${database}\u0000${table}`)
    },
    close: () => pool.end(),
  }
}
