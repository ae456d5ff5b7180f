import type { MappingRule, MetadataKind } from '../instances/config.ts'
import type { TargetColumn, TargetTable } from '../starrocks/starrocks-schema.ts'
import type { ColumnChange, MysqlColumn, SourceDdl } from './mysql-ddl.ts'
import { starRocksType, typeChange, type StarRocksType } from './starrocks-types.ts'

/**
 * One canal DDL, read by mysql-ddl.ts, as the StarRocks statements that give the target table the
 * same change — through the rule's renames and exclusions, and once for a shard merge (an ADD
 * COLUMN the target already has is done). What cannot be done without losing or guessing (a
 * narrowing, a key change, a DROP/RENAME/TRUNCATE of one table merged with others, a type with no
 * StarRocks counterpart) is a hold with its reason: the loader pauses the table.
 */
export type DdlStep = { sql: string; /** ALTER TABLE column changes run as StarRocks jobs, which K2S waits for. */ job: boolean }

export type HoldReason = { code: string; message: string; params: Record<string, string> }

export type DdlPlan =
  | { kind: 'none'; note: string }
  | { kind: 'run'; steps: DdlStep[]; summary: string }
  | { kind: 'hold'; reason: HoldReason }

export type PlanInput = {
  ddl: SourceDdl
  rule: MappingRule
  database: string
  table: string
  /** The target as it is now; null when it does not exist. */
  target: TargetTable | null
}

const validName = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/

export function quoteName(name: string): string {
  if (!validName.test(name)) throw new Error(`"${name}" is not a StarRocks name (letters, digits and "_")`)
  return `\`${name}\``
}

const hold = (code: string, message: string, params: Record<string, string> = {}): DdlPlan => ({ kind: 'hold', reason: { code, message, params } })

/**
 * One source table per target: the target template names the source table, or the source pattern
 * is one plain name. Anything else may merge several source tables (shards) into the target.
 */
export function mapsOneTable(rule: MappingRule): boolean {
  return rule.targetTable.includes('${table}') || /^[A-Za-z0-9_$]+$/.test(rule.sourceTable)
}

export function planDdl(input: PlanInput): DdlPlan {
  const { ddl, rule, target } = input
  const qualified = `${quoteName(input.database)}.${quoteName(input.table)}`
  const name = `${input.database}.${input.table}`
  const merged = !mapsOneTable(rule)
  switch (ddl.kind) {
    case 'no-change':
      return { kind: 'none', note: `${ddl.what} changes no column` }
    case 'drop-table':
      // Never carried: one source table gone says nothing about the rows already loaded (or, for
      // a merge, about the other shards').
      return { kind: 'none', note: `DROP TABLE ${ddl.table} is not carried to ${name}` }
    case 'unsupported':
      return hold('schema.ddl-unsupported', `a DDL K2S cannot carry out: ${ddl.reason}`, { table: name, detail: ddl.reason })
    case 'truncate':
      if (!target) return { kind: 'none', note: `${name} does not exist` }
      if (merged) return hold('schema.ddl-merged', `TRUNCATE of source table ${ddl.table} would empty ${name}, which other source tables load into too`, { table: name, statement: 'TRUNCATE' })
      return { kind: 'run', steps: [{ sql: `TRUNCATE TABLE ${qualified}`, job: false }], summary: 'TRUNCATE' }
    case 'create':
      if (target) return { kind: 'none', note: `${name} exists already` }
      if (!rule.autoCreate) return { kind: 'none', note: `auto-create is off for ${name}` }
      return createTable(input, ddl, qualified)
    case 'alter':
      if (!target) return hold('schema.target-missing', `target table ${name} does not exist, so ALTER TABLE cannot be carried to it`, { table: name })
      return alterTable(input, target, ddl.changes, qualified, merged)
  }
}

function alterTable(input: PlanInput, target: TargetTable, changes: ColumnChange[], qualified: string, merged: boolean): DdlPlan {
  const name = `${input.database}.${input.table}`
  const columns = new Map(target.columns.map((c) => [c.name.toLowerCase(), c]))
  const steps: DdlStep[] = []
  const done: string[] = []
  const targetName = targetColumnName(input.rule)
  for (const change of changes) {
    const sourceName = change.kind === 'drop' ? change.name : change.kind === 'rename' ? change.from : change.kind === 'change' ? change.from : change.column.name
    const column = targetName(sourceName)
    if (column === null) continue
    if (!validName.test(column)) return hold('schema.bad-name', `column ${column} is not a name StarRocks accepts`, { table: name, column })
    const existing = columns.get(column.toLowerCase())
    switch (change.kind) {
      case 'add':
      case 'modify': {
        const mapped = starRocksType(change.column.type)
        if (!mapped.ok) return hold('schema.type-unsupported', `column ${column}: ${mapped.reason}`, { table: name, column, type: mapped.source })
        if (!existing) {
          if (target.model === 'AGGREGATE') return hold('schema.aggregate-add', `${name} is an Aggregate table: K2S does not choose an aggregate function for ${column}`, { table: name, column })
          steps.push({ sql: `ALTER TABLE ${qualified} ADD COLUMN ${columnSql(column, mapped.type, change.column)}`, job: true })
          columns.set(column.toLowerCase(), { name: column, dataType: mapped.type.dataType, nullable: true, isKey: false, size: mapped.type.size, scale: mapped.type.scale })
          done.push(`ADD ${column}`)
          break
        }
        const step = modifyStep(name, qualified, existing, mapped.type, change.kind === 'add')
        if ('reason' in step) return { kind: 'hold', reason: step.reason }
        if (step.sql) steps.push({ sql: step.sql, job: true }), done.push(`MODIFY ${column}`)
        break
      }
      case 'drop':
        if (!existing) break
        if (merged) return hold('schema.ddl-merged', `DROP COLUMN ${column} of one source table would drop it for the other source tables merged into ${name}`, { table: name, statement: 'DROP COLUMN', column })
        if (existing.isKey) return hold('schema.key-change', `DROP COLUMN ${column} changes the key of ${name}`, { table: name, column })
        steps.push({ sql: `ALTER TABLE ${qualified} DROP COLUMN ${quoteName(existing.name)}`, job: true })
        columns.delete(column.toLowerCase())
        done.push(`DROP ${column}`)
        break
      case 'rename':
      case 'change': {
        const to = targetName(change.kind === 'rename' ? change.to : change.column.name)
        if (to === null) return hold('schema.rename-excluded', `column ${column} is renamed to a column the rule excludes`, { table: name, column })
        if (!validName.test(to)) return hold('schema.bad-name', `column ${to} is not a name StarRocks accepts`, { table: name, column: to })
        let current = existing
        if (to.toLowerCase() !== column.toLowerCase()) {
          if (!existing) {
            if (columns.has(to.toLowerCase())) {
              current = columns.get(to.toLowerCase())
            } else {
              return hold('schema.column-missing', `column ${column} to rename is not in ${name}`, { table: name, column })
            }
          } else {
            if (merged) return hold('schema.ddl-merged', `RENAME COLUMN ${column} of one source table would rename it for the other source tables merged into ${name}`, { table: name, statement: 'RENAME COLUMN', column })
            if (existing.isKey) return hold('schema.key-change', `renaming key column ${column} changes the key of ${name}`, { table: name, column })
            if (columns.has(to.toLowerCase())) return hold('schema.column-exists', `cannot rename ${column} to ${to}: ${name} has a column ${to}`, { table: name, column: to })
            steps.push({ sql: `ALTER TABLE ${qualified} RENAME COLUMN ${quoteName(existing.name)} TO ${quoteName(to)}`, job: false })
            columns.delete(column.toLowerCase())
            current = { ...existing, name: to }
            columns.set(to.toLowerCase(), current)
            done.push(`RENAME ${column} TO ${to}`)
          }
        }
        if (change.kind === 'change') {
          const mapped = starRocksType(change.column.type)
          if (!mapped.ok) return hold('schema.type-unsupported', `column ${to}: ${mapped.reason}`, { table: name, column: to, type: mapped.source })
          if (!current) return hold('schema.column-missing', `column ${column} is not in ${name}`, { table: name, column })
          const step = modifyStep(name, qualified, current, mapped.type, false)
          if ('reason' in step) return { kind: 'hold', reason: step.reason }
          if (step.sql) steps.push({ sql: step.sql, job: true }), done.push(`MODIFY ${to}`)
        }
        break
      }
    }
  }
  if (steps.length === 0) return { kind: 'none', note: `${name} has the change already` }
  return { kind: 'run', steps, summary: done.join(', ') }
}

/** A type change of an existing column: nothing, a widening MODIFY, or a hold. */
function modifyStep(table: string, qualified: string, existing: TargetColumn, next: StarRocksType, adding: boolean): { sql: string | null } | { reason: HoldReason } {
  const change = typeChange(existing, next)
  if (change === 'same') return { sql: null }
  if (change === 'narrow') {
    // A shard adding a column the merged target has wider already: the values fit.
    if (adding && typeChange({ ...existing, dataType: next.dataType, size: next.size, scale: next.scale }, starRocksTypeOf(existing)) === 'widen') return { sql: null }
    const from = describeType(existing)
    return { reason: { code: 'schema.narrowing', message: `changing ${existing.name} of ${table} from ${from} to ${next.sql} is not a widening; K2S does not narrow or convert a column`, params: { table, column: existing.name, from, to: next.sql } } }
  }
  if (existing.isKey) return { reason: { code: 'schema.key-change', message: `changing the type of key column ${existing.name} changes the key of ${table}`, params: { table, column: existing.name } } }
  return { sql: `ALTER TABLE ${qualified} MODIFY COLUMN ${quoteName(existing.name)} ${next.sql} ${existing.nullable ? 'NULL' : 'NOT NULL'}` }
}

function starRocksTypeOf(c: TargetColumn): StarRocksType {
  return { sql: describeType(c), dataType: c.dataType.toLowerCase(), size: c.size ?? null, scale: c.scale ?? null }
}

function describeType(c: TargetColumn): string {
  const t = c.dataType.toUpperCase()
  if (t === 'DECIMAL') return `DECIMAL(${c.size},${c.scale})`
  if ((t === 'VARCHAR' || t === 'CHAR') && c.size !== null) return `${t}(${c.size})`
  return t
}

/** Source column → target column through the rule: renames, then exclusions; null when excluded. */
function targetColumnName(rule: MappingRule): (source: string) => string | null {
  const renames = new Map(Object.entries(rule.columnRenames).map(([from, to]) => [from.toLowerCase(), to]))
  const excluded = new Set(rule.excludeColumns.map((c) => c.toLowerCase()))
  return (source) => (excluded.has(source.toLowerCase()) ? null : (renames.get(source.toLowerCase()) ?? source))
}

/** New columns are nullable: rows loaded before the change hold NULL, or the MySQL DEFAULT when it is a plain literal. */
function columnSql(name: string, type: StarRocksType, source: MysqlColumn, key = false): string {
  const fallback = typeof source.defaultValue === 'string' && type.dataType !== 'json' && type.dataType !== 'varbinary' ? ` DEFAULT ${quoteString(source.defaultValue)}` : ''
  return `${quoteName(name)} ${type.sql} ${key ? 'NOT NULL' : `NULL${fallback}`}`
}

function quoteString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

const metadataTypes: Record<MetadataKind, string> = {
  sourceDatabase: 'VARCHAR(256)',
  sourceTable: 'VARCHAR(256)',
  eventType: 'VARCHAR(16)',
  binlogTime: 'DATETIME',
  binlogTimeMs: 'BIGINT',
  kafkaPartition: 'INT',
  kafkaOffset: 'BIGINT',
}

/**
 * CREATE TABLE for auto-create: a Primary Key table keyed like the source when it has a key (so
 * deletes apply), else a Duplicate Key table; the rule's metadata, constant and soft-delete columns
 * too, or their values would have nowhere to go.
 */
function createTable(input: PlanInput, ddl: Extract<SourceDdl, { kind: 'create' }>, qualified: string): DdlPlan {
  const name = `${input.database}.${input.table}`
  const targetName = targetColumnName(input.rule)
  const keys = ddl.primaryKey.map((k) => k.toLowerCase())
  type Def = { name: string; sql: string; keyable: boolean }
  const keyDefs: Def[] = []
  const valueDefs: Def[] = []
  const seen = new Set<string>()
  for (const column of ddl.columns) {
    const to = targetName(column.name)
    const keyAt = keys.indexOf(column.name.toLowerCase())
    if (to === null) {
      if (keyAt >= 0) return hold('schema.key-change', `key column ${column.name} is excluded by the rule, so ${name} cannot be keyed like its source`, { table: name, column: column.name })
      continue
    }
    if (!validName.test(to)) return hold('schema.bad-name', `column ${to} is not a name StarRocks accepts`, { table: name, column: to })
    const mapped = starRocksType(column.type)
    if (!mapped.ok) return hold('schema.type-unsupported', `column ${to}: ${mapped.reason}`, { table: name, column: to, type: mapped.source })
    const keyable = !['float', 'double', 'json', 'varbinary'].includes(mapped.type.dataType)
    if (keyAt >= 0 && !keyable) return hold('schema.key-type', `key column ${to} is ${mapped.type.sql}, which StarRocks cannot key on`, { table: name, column: to })
    seen.add(to.toLowerCase())
    if (keyAt >= 0) keyDefs[keyAt] = { name: to, sql: columnSql(to, mapped.type, column, true), keyable }
    else valueDefs.push({ name: to, sql: columnSql(to, mapped.type, column), keyable })
  }
  for (const [column, kind] of Object.entries(input.rule.metadataColumns)) {
    if (!seen.has(column.toLowerCase())) valueDefs.push({ name: column, sql: `${quoteName(column)} ${metadataTypes[kind]} NULL`, keyable: true }), seen.add(column.toLowerCase())
  }
  // A constant is text of up to 1024 characters (mappingRuleSchema), 4096 bytes in utf8mb4.
  for (const column of Object.keys(input.rule.constantColumns)) {
    if (!seen.has(column.toLowerCase())) valueDefs.push({ name: column, sql: `${quoteName(column)} VARCHAR(4096) NULL`, keyable: true }), seen.add(column.toLowerCase())
  }
  const soft = input.rule.softDeleteColumn
  if (soft && !seen.has(soft.toLowerCase())) valueDefs.push({ name: soft, sql: `${quoteName(soft)} TINYINT NULL`, keyable: true })
  if ([...keyDefs].some((d) => d === undefined) || keyDefs.length !== keys.length) return hold('schema.key-change', `the key of ${ddl.table} names a column its CREATE TABLE does not define`, { table: name })
  let sql: string
  if (keyDefs.length > 0) {
    // Key columns first, in the source key's order: StarRocks wants the key as a prefix.
    const keyNames = keyDefs.map((d) => quoteName(d.name)).join(', ')
    sql = `CREATE TABLE IF NOT EXISTS ${qualified} (${[...keyDefs, ...valueDefs].map((d) => d.sql).join(', ')}) PRIMARY KEY(${keyNames}) DISTRIBUTED BY HASH(${keyNames})`
  } else {
    const first = valueDefs[0]
    if (!first) return hold('schema.no-columns', `CREATE TABLE ${ddl.table} leaves no column for ${name}`, { table: name })
    if (!first.keyable) return hold('schema.key-type', `the first column ${first.name} of a table without a key cannot be the sort key of a Duplicate Key table`, { table: name, column: first.name })
    sql = `CREATE TABLE IF NOT EXISTS ${qualified} (${valueDefs.map((d) => d.sql).join(', ')}) DUPLICATE KEY(${quoteName(first.name)}) DISTRIBUTED BY RANDOM`
  }
  return {
    kind: 'run',
    steps: [
      { sql: `CREATE DATABASE IF NOT EXISTS ${quoteName(input.database)}`, job: false },
      { sql, job: false },
    ],
    summary: keyDefs.length > 0 ? 'CREATE TABLE (Primary Key)' : 'CREATE TABLE (Duplicate Key)',
  }
}
