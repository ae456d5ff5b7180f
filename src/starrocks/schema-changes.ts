import mysql from 'mysql2/promise'
import type { DdlStep } from '../schema/ddl-plan.ts'
import { parseJdbcUrl, type StarRocksSql } from './starrocks-schema.ts'

/**
 * DDL run on StarRocks' MySQL port. Column changes are asynchronous jobs there (reference §7.3):
 * the statement returns at once and the job shows in SHOW ALTER TABLE COLUMN until FINISHED or
 * CANCELLED, so each step waits for its job before the next runs, and before any row loads
 * against the new schema. Only one job per table may run, so a job already running (say, from an
 * attempt that died) is waited for first.
 */
export type SchemaChanges = {
  /** Waits until the table has no schema-change job running. */
  waitIdle(database: string, table: string): Promise<void>
  run(database: string, table: string, steps: DdlStep[]): Promise<void>
  close(): Promise<void>
}

/** StarRocks refused the statement, or its job ended CANCELLED: running it again gives the same. */
export class SchemaChangeRefused extends Error {
  constructor(
    readonly statement: string,
    readonly serverMessage: string,
  ) {
    super(`StarRocks refused "${statement}": ${serverMessage}`)
  }
}

/**
 * Another schema change of the table started between our look and our statement: canal sends a
 * DDL in every partition, so the loaders of several partitions may carry out the same change at
 * once. Not StarRocks' decision on this statement: once that job ends, the change is planned again
 * (it may have nothing left to do).
 */
export class SchemaChangeBusy extends Error {
  constructor(readonly statement: string, readonly serverMessage: string) {
    super(`another schema change of the table is running; "${statement}" is planned again once it ends (${serverMessage})`)
  }
}

type AlterJobRow = { JobId: string | number; State: string; Msg: string | null }

// StarRocks' answer while a table's schema change runs: "Table[t]'s state is not NORMAL. Do not
// allow doing ALTER ops", newer versions "state(SCHEMA_CHANGE) is not NORMAL".
const busy = /state(\([A-Z_]+\))? is not NORMAL/

const running = new Set(['PENDING', 'WAITING_TXN', 'RUNNING'])

export function createSchemaChanges(target: StarRocksSql, opts: { pollMs?: number; jobTimeoutMs?: number } = {}): SchemaChanges {
  const { host, port } = parseJdbcUrl(target.jdbcUrl)
  const pool = mysql.createPool({ host, port, user: target.user, password: target.password, connectionLimit: 1, connectTimeout: 10_000 })
  const pollMs = opts.pollMs ?? 100
  const jobTimeoutMs = opts.jobTimeoutMs ?? 600_000

  async function latestJob(database: string, table: string): Promise<AlterJobRow | null> {
    const [rows] = await pool.query(`SHOW ALTER TABLE COLUMN FROM \`${database}\` WHERE TableName = ? ORDER BY JobId DESC LIMIT 1`, [table])
    return (rows as AlterJobRow[])[0] ?? null
  }

  async function waitFor(database: string, table: string, done: (job: AlterJobRow | null) => boolean, what: string): Promise<AlterJobRow | null> {
    const deadline = Date.now() + jobTimeoutMs
    for (;;) {
      const job = await latestJob(database, table)
      if (done(job)) return job
      if (Date.now() > deadline) throw new Error(`${what} on ${database}.${table} did not finish within ${jobTimeoutMs} ms (job ${job?.JobId}, ${job?.State})`)
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  }

  async function execute(sql: string): Promise<void> {
    try {
      await pool.query(sql)
    } catch (err) {
      // An answer from StarRocks (an error number) is its decision; a lost connection is not.
      const e = err as { errno?: number; sqlMessage?: string; message: string }
      if (typeof e.errno === 'number' && e.sqlMessage !== undefined) {
        throw busy.test(e.sqlMessage) ? new SchemaChangeBusy(sql, e.sqlMessage) : new SchemaChangeRefused(sql, e.sqlMessage)
      }
      throw err
    }
  }

  return {
    async waitIdle(database, table) {
      await waitFor(database, table, (job) => job === null || !running.has(job.State), 'a running schema change')
    },
    async run(database, table, steps) {
      for (const step of steps) {
        if (!step.job) {
          await execute(step.sql)
          continue
        }
        const before = await waitFor(database, table, (job) => job === null || !running.has(job.State), 'a running schema change')
        const beforeId = Number(before?.JobId ?? 0)
        await execute(step.sql)
        const job = await waitFor(database, table, (j) => j !== null && Number(j.JobId) > beforeId && !running.has(j.State), `the job of "${step.sql}"`)
        if (job!.State !== 'FINISHED') throw new SchemaChangeRefused(step.sql, `job ${job!.JobId} ended ${job!.State}${job!.Msg ? `: ${job!.Msg}` : ''}`)
      }
    },
    close: () => pool.end(),
  }
}
