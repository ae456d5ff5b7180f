import type { SkippedEvent } from '../src/formats/canal/canal-message.ts'
import { schemaPolicy } from '../src/instances/config.ts'
import { ddlId, type SchemaHold, type SchemaHolds } from '../src/instances/schema-holds.ts'
import type { LoadJobData } from '../src/jobs/load-job.ts'
import type { Logger } from '../src/observe/logger.ts'
import type { RouteTarget } from '../src/rows/table-mapping.ts'
import { planDdl, type HoldReason } from '../src/schema/ddl-plan.ts'
import { parseMysqlDdl } from '../src/schema/mysql-ddl.ts'
import { SchemaChangeBusy, SchemaChangeRefused, type SchemaChanges } from '../src/starrocks/schema-changes.ts'
import type { SchemaCache } from '../src/starrocks/starrocks-schema.ts'

/**
 * A DDL message for a target table, met by the loader after that table's rows before it loaded:
 * what the rule's schema-change policy does with it. `ignore` passes (the rows after it are built
 * against the target as StarRocks has it now); `apply` carries it out through StarRocks' MySQL
 * port and waits for the job; `pause`, and anything `apply` cannot do safely, holds the table.
 * A DDL carried out is recorded before any row after it loads, so a retried batch never runs it
 * twice (a second TRUNCATE would empty rows loaded after the first).
 */
export type SchemaEvolution = { holds: SchemaHolds; changes: SchemaChanges }

export type DdlMessage = { offset: string; event: SkippedEvent; route: RouteTarget }

export type BarrierOutcome =
  | { pass: true; counter: 'skipped.ddl' | 'ddl.applied' | 'ddl.resumed' }
  | { pass: false; hold: SchemaHold }

export type BarrierContext = {
  job: Pick<LoadJobData, 'instance' | 'epoch' | 'topic' | 'partition'>
  schemas: SchemaCache
  evolution: SchemaEvolution | undefined
  log: Logger | undefined
}

export async function passBarrier(ctx: BarrierContext, database: string, table: string, ddl: DdlMessage): Promise<BarrierOutcome> {
  const { job, evolution } = ctx
  const policy = schemaPolicy(ddl.route.rule)
  const name = `${database}.${table}`
  if (!evolution || policy === 'ignore') return { pass: true, counter: 'skipped.ddl' }
  const id = ddlId({ epoch: job.epoch, topic: job.topic, partition: job.partition, offset: ddl.offset, table: name })
  const done = await evolution.holds.ddlDone(job.instance, id)
  if (done) return { pass: true, counter: done === 'applied' ? 'ddl.applied' : done === 'resumed' ? 'ddl.resumed' : 'skipped.ddl' }

  const sql = ddl.event.sql ?? ''
  const held = (kind: SchemaHold['kind'], reason: HoldReason): BarrierOutcome => {
    const hold: SchemaHold = { table: name, kind, ...reason, topic: job.topic, partition: job.partition, offset: ddl.offset, ddl: id, sql, at: new Date().toISOString() }
    return { pass: false, hold }
  }
  const source = `${ddl.event.database}.${ddl.event.table}`
  const { holds, changes } = evolution

  /** null: another change of the table started first; plan again once it ended. */
  const carryOut = async (plan: ReturnType<typeof planDdl>): Promise<BarrierOutcome | null> => {
    if (plan.kind === 'none') {
      await holds.markDdlDone(job.instance, id, 'nothing-to-do')
      ctx.log?.info({ instance: job.instance, table: name, source, offset: ddl.offset, note: plan.note }, 'schema change: nothing to carry out')
      return { pass: true, counter: 'skipped.ddl' }
    }
    if (plan.kind === 'hold') return held('ddl', plan.reason)
    if (policy === 'pause') {
      return held('ddl', {
        code: 'schema.ddl-paused',
        message: `the rule's schema change policy is pause: ${plan.summary} from ${source} waits for an operator`,
        params: { table: name, source, change: plan.summary },
      })
    }
    try {
      await changes.run(database, table, plan.steps)
    } catch (err) {
      if (err instanceof SchemaChangeBusy) return null
      if (!(err instanceof SchemaChangeRefused)) throw err
      return held('ddl', { code: 'schema.ddl-refused', message: err.message, params: { table: name, statement: err.statement, detail: err.serverMessage } })
    }
    await holds.markDdlDone(job.instance, id, 'applied')
    ctx.schemas.invalidate(database, table)
    ctx.log?.info({ instance: job.instance, table: name, source, offset: ddl.offset, change: plan.summary }, 'schema change applied')
    return { pass: true, counter: 'ddl.applied' }
  }

  // One job per table at a time: a job an earlier attempt, or another partition's loader, started
  // is waited for, then planned against.
  const parsed = parseMysqlDdl(sql)
  for (;;) {
    await changes.waitIdle(database, table)
    const target = await ctx.schemas.refresh(database, table)
    const outcome = await carryOut(planDdl({ ddl: parsed, rule: ddl.route.rule, database, table, target }))
    if (outcome) return outcome
  }
}
