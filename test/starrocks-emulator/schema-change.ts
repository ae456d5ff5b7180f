/**
 * ALTER TABLE ADD/DROP/MODIFY COLUMN checks and the resulting column list (§7.3), with the FE's
 * `SchemaChangeHandler` messages (DdlException → error 1064 with the bare text). The list is
 * computed when the statement runs and installed when the job finishes.
 */
import type { ColumnChange, ColumnPosition } from './ddl-parser.ts';
import { sqlTypeName, type ColumnType } from './column-type.ts';
import type { ColumnSchema, TableSchema } from './schema.ts';
import { SqlError, ER_PARSE } from './sql-error.ts';

const ddlError = (message: string) => new SqlError(ER_PARSE, message);
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function plannedColumns(schema: TableSchema, changes: ColumnChange[]): ColumnSchema[] {
  const columns = [...schema.columns];
  for (const change of changes) {
    if (change.rollup !== null) throw ddlError(`Index[${change.rollup}] does not exist in table[${schema.name}]`);
    if (change.kind === 'add') addColumn(schema, columns, { ...change.column }, change.position);
    else if (change.kind === 'modify') modifyColumn(schema, columns, { ...change.column });
    else if (change.kind === 'drop') dropColumn(schema, columns, change.name);
    else throw ddlError('RENAME COLUMN cannot be combined with other column changes');
  }
  checkOrder(schema, columns);
  return columns;
}

/** `processAddColumn` / `addColumnInternal` / `checkAndAddColumn`. */
function addColumn(schema: TableSchema, columns: ColumnSchema[], column: ColumnSchema, position: ColumnPosition): void {
  const { name } = column;
  switch (schema.keysType) {
    case 'PRIMARY':
      if (column.isKey) throw ddlError(`Can not add key column: ${name} for primary key table`);
      if (column.aggregate !== null && column.aggregate !== 'REPLACE') {
        throw ddlError(`Can not assign aggregation method on column in Primary data model table: ${name}`);
      }
      column.aggregate = null;
      break;
    case 'AGGREGATE':
      if (column.isKey && column.aggregate !== null) throw ddlError(`Can not assign aggregation method on key column: ${name}`);
      if (column.aggregate === null) {
        // A column without an aggregate function becomes a key column of an Aggregate table.
        if (['float', 'double', 'json'].includes(column.type.kind)) {
          const type = column.type.kind.toUpperCase();
          throw ddlError(`column without agg function will be treated as key column for aggregate table, ${type} type can not be key column`);
        }
        column.isKey = true;
      } else if (column.aggregate === 'SUM' && column.default.kind === 'value' && column.default.literal !== null && column.default.literal !== '0') {
        throw ddlError(`The default value of '${name}' with SUM aggregation function must be zero`);
      }
      break;
    case 'UNIQUE':
      if (column.aggregate !== null) throw ddlError(`Can not assign aggregation method on column in Unique data model table: ${name}`);
      break;
    case 'DUPLICATE':
      if (column.aggregate !== null) throw ddlError(`Can not assign aggregation method on column in Duplicate data model table: ${name}`);
      break;
  }
  if (schema.columns.some((c) => sameName(c.name, name))) throw ddlError(`Can not add column which already exists in base table: ${name}`);
  const repeated = columns.find((c) => sameName(c.name, name));
  if (repeated) {
    // The same column added twice in one statement: fine when both definitions agree.
    if (JSON.stringify({ ...repeated, name: '' }) !== JSON.stringify({ ...column, name: '' })) {
      throw ddlError(`Repeatedly add same column with different definition: ${name}`);
    }
    return;
  }
  let at: number;
  if (position === 'first') at = 0;
  else if (position !== null) {
    const after = columns.findIndex((c) => sameName(c.name, position.after));
    if (after < 0) throw ddlError(`Column[${position.after}] does not found`);
    at = after + 1;
  } else {
    at = column.isKey ? columns.filter((c) => c.isKey).length : columns.length;
  }
  columns.splice(at, 0, column);
}

/**
 * `processModifyColumn`: a new definition for a column, installed when the job finishes, the stored
 * values converted. Only conversions that keep every value are allowed (ALTER TABLE docs: integers
 * to wider integers, FLOAT to DOUBLE, a longer VARCHAR, CHAR to VARCHAR, numbers to VARCHAR, DATE
 * to DATETIME, DECIMAL to more digits at the same scale [unconfirmed: the scale rule]); the error
 * texts are [unconfirmed].
 */
function modifyColumn(schema: TableSchema, columns: ColumnSchema[], column: ColumnSchema): void {
  const at = columns.findIndex((c) => sameName(c.name, column.name));
  if (at < 0) throw ddlError(`Column[${column.name}] does not exists`);
  const old = columns[at]!;
  if (old.isKey && schema.keysType === 'PRIMARY') throw ddlError(`Can not modify key column: ${old.name} for primary key table`);
  if (old.nullable && !column.nullable) throw ddlError('Can not change from nullable to non-nullable');
  const problem = conversionProblem(old.type, column.type);
  if (problem) throw ddlError(problem);
  columns[at] = { ...column, name: old.name, isKey: old.isKey, aggregate: old.aggregate, replaces: old };
}

const INTEGER_ORDER = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'LARGEINT'];

function conversionProblem(from: ColumnType, to: ColumnType): string | null {
  const name = (t: ColumnType) => sqlTypeName(t);
  if (from.kind === 'integer' && to.kind === 'integer') {
    return INTEGER_ORDER.indexOf(to.name) >= INTEGER_ORDER.indexOf(from.name) ? null : `Can not change ${name(from)} to ${name(to)}`;
  }
  if ((from.kind === 'varchar' || from.kind === 'char') && to.kind === 'varchar') {
    return to.length >= from.length ? null : 'Cannot shorten string length';
  }
  if (to.kind === 'varchar' && ['integer', 'float', 'double', 'decimal'].includes(from.kind)) return null;
  if (from.kind === 'float' && to.kind === 'double') return null;
  if (from.kind === 'date' && to.kind === 'datetime') return null;
  if (from.kind === 'decimal' && to.kind === 'decimal' && to.scale === from.scale && to.precision >= from.precision) return null;
  if (JSON.stringify(from) === JSON.stringify(to)) return null;
  return `Can not change ${name(from)} to ${name(to)}`;
}

/** `processDropColumn`. */
function dropColumn(schema: TableSchema, columns: ColumnSchema[], name: string): void {
  const isKey = columns.some((c) => c.isKey && sameName(c.name, name));
  if (schema.keysType === 'PRIMARY' && isKey) throw ddlError('Can not drop key column in primary data model table');
  if (schema.keysType === 'UNIQUE' && isKey) throw ddlError('Can not drop key column in Unique data model table');
  if (schema.keysType === 'AGGREGATE' && isKey) {
    if (columns.some((c) => c.aggregate === 'REPLACE' || c.aggregate === 'REPLACE_IF_NOT_NULL')) {
      throw ddlError('Can not drop key column when table has value column with REPLACE aggregation method');
    }
    // Rows that only differed in the dropped key would have to be merged again.
    throw ddlError('dropping a key column of an Aggregate table is not supported by the StarRocks emulator');
  }
  const at = columns.findIndex((c) => sameName(c.name, name));
  if (at < 0) throw ddlError(`Column does not exists: ${name}`);
  columns.splice(at, 1);
}

/** `finalAnalyze`: key columns first, at least one key, distribution columns kept. */
function checkOrder(schema: TableSchema, columns: ColumnSchema[]): void {
  const firstValue = columns.findIndex((c) => !c.isKey);
  if (firstValue >= 0 && columns.slice(firstValue).some((c) => c.isKey)) {
    throw ddlError(`Invalid column order. value should be after key. index[${schema.name}]`);
  }
  if (!columns.some((c) => c.isKey)) throw ddlError(`No key column left. index[${schema.name}]`);
  for (const name of schema.distribution.kind === 'hash' ? schema.distribution.columns : []) {
    if (!columns.some((c) => sameName(c.name, name))) {
      throw ddlError(`Distribution column[${name}] cannot be dropped. index[${schema.name}]`);
    }
  }
}
