/**
 * Turns one source record into a row operation, or into the reason it is filtered: conversion per
 * §6.3 under strict_mode, then the sink's NOT NULL check, then `__op` (§2.2).
 */
import { convertSource, type SourceValue } from './json-conversion.ts';
import type { LoadPlan } from './load-plan.ts';
import { castDecimal } from './sql-cast.ts';
import type { Row, RowOp } from './table-store.ts';
import type { ColumnSchema, TableSchema } from './schema.ts';

export type BuiltRow = { ok: true; op: RowOp } | { ok: false; error: string };

/** `values[i]` feeds `plan.sourceNames[i]`; `undefined` is a missing key (→ NULL, not DEFAULT: §6.2). */
export function buildRow(schema: TableSchema, plan: LoadPlan, strictMode: boolean, values: (SourceValue | undefined)[], now: Date): BuiltRow {
  const row: Row = [];
  for (const [i, column] of schema.columns.entries()) {
    const binding = plan.bindings[i]!;
    let source: SourceValue | undefined;
    if (binding.kind === 'source') source = values[binding.index];
    else if (binding.kind === 'constant') source = binding.value;
    else {
      row.push(unwrittenValue(column, binding.kind === 'keep', now));
      continue;
    }
    if (source === undefined) {
      row.push(null);
      continue;
    }
    const converted = convertSource(column, source);
    if (converted.ok) row.push(converted.value);
    else if (strictMode) return { ok: false, error: converted.error };
    else row.push(null); // §6.3: non-strict turns an unconvertible value into NULL
  }
  // The OLAP sink rejects NULL in NOT NULL columns whatever the op: a key-only DELETE must still
  // carry NOT NULL values ([unconfirmed] §2.2).
  const nullInNotNull = schema.columns.find((c, i) => row[i] === null && !c.nullable);
  if (nullInNotNull) return { ok: false, error: `NULL value in non-nullable column '${nullInNotNull.name}'` };

  const op = readOp(plan, values);
  if (op === null) return { ok: false, error: "NULL value in non-nullable column '__op'" };
  if (op === 1) return { ok: true, op: { op: 'delete', row } };
  return { ok: true, op: plan.partialColumns ? { op: 'upsert', row, columns: plan.partialColumns } : { op: 'upsert', row } };
}

/** §2.2: 0 upsert, 1 delete; a missing `__op` key is 0. Other values are filtered ([unconfirmed]). */
function readOp(plan: LoadPlan, values: (SourceValue | undefined)[]): 0 | 1 | null {
  if (plan.op === null) return 0;
  if (plan.op.kind === 'constant') return plan.op.op;
  const v = values[plan.op.index];
  if (v === undefined) return 0;
  const text = v.t === 'num' ? v.raw : v.t === 'str' || v.t === 'text' ? v.v.trim() : null;
  return text === '0' ? 0 : text === '1' ? 1 : null;
}

/**
 * The value of a column a row does not carry. For partial updates a NOT NULL column without a
 * default gets its type's zero (§2.3: the doc example shows 0); so do existing rows when such a
 * column is added by ALTER TABLE ([unconfirmed]).
 */
export function unwrittenValue(column: ColumnSchema, zeroForNotNull: boolean, now: Date): string | null {
  const d = column.default;
  if (d.kind === 'value') return d.text;
  if (d.kind === 'current_timestamp') return formatDateTime(now);
  if (!zeroForNotNull || column.nullable) return null;
  switch (column.type.kind) {
    case 'char':
    case 'varchar':
      return '';
    case 'decimal':
      return castDecimal('0', column.type.precision, column.type.scale);
    case 'date':
      return '1970-01-01';
    case 'datetime':
      return '1970-01-01 00:00:00';
    case 'json':
      return 'null';
    default:
      return '0';
  }
}

function formatDateTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
