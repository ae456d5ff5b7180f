import mysql from 'mysql2/promise'
import type { Row } from '../fault/stream.ts'

/**
 * The StarRocks side, over its MySQL port from the host: DDL, and every table's rows as the MySQL
 * text protocol gives them (strings or NULL, the oracle's form), whatever the column type.
 */
export type TargetTables = {
  execute(sql: string): Promise<void>
  rows(db: string, table: string): Promise<Row[]>
  count(db: string, table: string): Promise<number>
  close(): Promise<void>
}

export async function targetTables(host: string, port: number): Promise<TargetTables> {
  const connection = await mysql.createConnection({
    host,
    port,
    user: 'root',
    password: '',
    connectTimeout: 5_000,
    typeCast: (field) => field.string(),
  })
  return {
    async execute(sql) {
      await connection.query(sql)
    },
    async rows(db, table) {
      const [rows] = await connection.query(`SELECT * FROM ${db}.${table}`)
      return rows as Row[]
    },
    async count(db, table) {
      const [rows] = await connection.query(`SELECT count(*) AS n FROM ${db}.${table}`)
      return Number((rows as Array<{ n: string }>)[0]!.n)
    },
    async close() {
      await connection.end()
    },
  }
}
