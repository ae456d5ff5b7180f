import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * What schema evolution keeps in Redis for an instance: target tables on hold and why, the DDL
 * messages already carried out (or resumed past by an operator), and schema drift per table.
 * Loaders write it; the API and /metrics read it; an operator's resume clears a hold.
 */
export type SchemaHold = {
  /** Target `db.table`. */
  table: string
  /** `ddl`: a DDL the policy does not carry out by itself; `drift`: rows carry columns the target lacks. */
  kind: 'ddl' | 'drift'
  code: string
  message: string
  params: Record<string, string>
  topic: string
  partition: number
  offset: string
  /** The DDL's identity (ddlId), when kind is `ddl`: a resume marks it done. */
  ddl?: string
  sql?: string
  at: string
}

export type TableDrift = { rows: number; columns: string[] }

/** A DDL message's identity for one target table: the same message under a later epoch (E-B) runs again. */
export function ddlId(p: { epoch: number; topic: string; partition: number; offset: string; table: string }): string {
  return `${p.epoch}/${p.topic}/${p.partition}/${p.offset}/${p.table}`
}

export type SchemaHolds = ReturnType<typeof schemaHolds>

export function schemaHolds(redis: Redis, keys: RedisKeys) {
  return {
    /** Holds a table; the first reason stays until a resume (a retry must not move its time). */
    async hold(instance: string, hold: SchemaHold): Promise<void> {
      await redis.hsetnx(keys.schemaPaused(instance), hold.table, JSON.stringify(hold))
    },
    async held(instance: string): Promise<SchemaHold[]> {
      const h = await redis.hgetall(keys.schemaPaused(instance))
      return Object.values(h)
        .map((text) => JSON.parse(text) as SchemaHold)
        .sort((a, b) => a.table.localeCompare(b.table))
    },
    async heldTable(instance: string, table: string): Promise<SchemaHold | null> {
      const text = await redis.hget(keys.schemaPaused(instance), table)
      return text ? (JSON.parse(text) as SchemaHold) : null
    },
    /**
     * An operator's resume: the hold goes; a held DDL counts as done (the operator carried it out
     * or chose not to), so the rows after it load against the target as it is now.
     */
    async resume(instance: string, table: string): Promise<SchemaHold | null> {
      const text = await redis.hget(keys.schemaPaused(instance), table)
      if (!text) return null
      const hold = JSON.parse(text) as SchemaHold
      const tx = redis.multi().hdel(keys.schemaPaused(instance), table)
      if (hold.ddl) tx.hset(keys.schemaDdlDone(instance), hold.ddl, JSON.stringify({ how: 'resumed', at: new Date().toISOString() }))
      await tx.exec()
      return hold
    },
    /** How a DDL was done, or null when it was not. */
    /** A drift hold that ended by itself: the target has the columns now. */
    async release(instance: string, table: string): Promise<void> {
      await redis.hdel(keys.schemaPaused(instance), table)
    },
    async ddlDone(instance: string, id: string): Promise<'applied' | 'nothing-to-do' | 'resumed' | null> {
      const text = await redis.hget(keys.schemaDdlDone(instance), id)
      return text ? (JSON.parse(text) as { how: 'applied' | 'nothing-to-do' | 'resumed' }).how : null
    },
    async markDdlDone(instance: string, id: string, how: 'applied' | 'nothing-to-do'): Promise<void> {
      await redis.hset(keys.schemaDdlDone(instance), id, JSON.stringify({ how, at: new Date().toISOString() }))
    },
    async countDrift(instance: string, drift: Record<string, TableDrift>): Promise<void> {
      const entries = Object.entries(drift).filter(([, d]) => d.rows > 0)
      if (entries.length === 0) return
      const tx = redis.multi()
      for (const [table, d] of entries) {
        tx.hincrby(keys.schemaDrift(instance), table, d.rows)
        tx.hset(keys.schemaDriftColumns(instance), table, JSON.stringify(d.columns))
      }
      await tx.exec()
    },
    async drift(instance: string): Promise<Record<string, TableDrift>> {
      const [rows, columns] = await Promise.all([redis.hgetall(keys.schemaDrift(instance)), redis.hgetall(keys.schemaDriftColumns(instance))])
      return Object.fromEntries(Object.entries(rows).map(([table, n]) => [table, { rows: Number(n), columns: JSON.parse(columns[table] ?? '[]') as string[] }]))
    },
    async forget(instance: string): Promise<void> {
      await redis.del(keys.schemaPaused(instance), keys.schemaDdlDone(instance), keys.schemaDrift(instance), keys.schemaDriftColumns(instance))
    },
  }
}
