/**
 * Turns one source record into a row operation, or into the reason it is filtered: conversion per
 * §6.3 under strict_mode, then the sink's NOT NULL check, then `__op` (§2.2).
 */
import { ConversionError, converterFor, type Converted, type Converter, type SourceValue } from './json-conversion.ts';
import type { LoadPlan, MappingFunction, OpBinding } from './load-plan.ts';
import { castDecimal } from './sql-cast.ts';
import { keyIndexesOf, pack, rowKey, type Row, type RowOp } from './table-store.ts';
import type { ColumnSchema, TableSchema } from './schema.ts';

/** A row operation, or the reason the row is filtered. */
export type BuiltRow = RowOp | string;

/** How one column gets its value: from a source slot, or a value fixed for the whole load. */
interface ColumnStep {
  /** The source slot, or -1 for a fixed value. */
  source: number;
  /** A `columns` mapping function applied to the source value first. */
  apply: MappingFunction | undefined;
  convert: Converter;
  fixed: Converted;
  name: string;
  nullable: boolean;
}

/** The rows of one load. The plan is resolved into per-column steps once, not for every row. */
export class RowBuilder {
  private readonly steps: ColumnStep[];
  private readonly op: OpBinding | null;
  private readonly partialColumns: number[] | null;
  /** The key columns of a keyed table; a Duplicate Key table's rows need no key. */
  private readonly keyIndexes: number[] | null;

  constructor(
    schema: TableSchema,
    plan: LoadPlan,
    private readonly strictMode: boolean,
    now: Date,
  ) {
    this.steps = schema.columns.map((column, i) => columnStep(column, plan.bindings[i]!, now));
    this.op = plan.op;
    this.partialColumns = plan.partialColumns;
    this.keyIndexes = schema.keysType === 'DUPLICATE' ? null : keyIndexesOf(schema.columns);
  }

  /** `values[i]` feeds `plan.sourceNames[i]`; `undefined` is a missing key (→ NULL, not DEFAULT: §6.2). */
  build(values: (SourceValue | undefined)[]): BuiltRow {
    const row: Row = [];
    // The OLAP sink rejects NULL in NOT NULL columns whatever the op: a key-only DELETE must still
    // carry NOT NULL values ([unconfirmed] §2.2). A conversion error of any column comes first.
    let nullInNotNull: string | null = null;
    for (const step of this.steps) {
      let value = step.fixed;
      if (step.source >= 0) {
        const source = values[step.source];
        value = source === undefined ? null : step.convert(step.apply ? step.apply(source) : source);
      }
      if (value instanceof ConversionError) {
        if (this.strictMode) return value.message;
        value = null; // §6.3: non-strict turns an unconvertible value into NULL
      }
      if (value === null && !step.nullable) nullInNotNull ??= step.name;
      row.push(value);
    }
    if (nullInNotNull !== null) return `NULL value in non-nullable column '${nullInNotNull}'`;

    const op = this.readOp(values);
    if (op === null) return "NULL value in non-nullable column '__op'";
    const key = this.keyIndexes === null ? null : rowKey(row, this.keyIndexes);
    if (op === 1) return { op: 'delete', key, row: pack(row) };
    return this.partialColumns ? { op: 'upsert', key, row: pack(row), columns: this.partialColumns } : { op: 'upsert', key, row: pack(row) };
  }

  /** §2.2: 0 upsert, 1 delete; a missing `__op` key is 0. Other values are filtered ([unconfirmed]). */
  private readOp(values: (SourceValue | undefined)[]): 0 | 1 | null {
    if (this.op === null) return 0;
    if (this.op.kind === 'constant') return this.op.op;
    const v = values[this.op.index];
    if (v === undefined) return 0;
    const text = v.t === 'num' ? v.raw : v.t === 'str' || v.t === 'text' ? v.v.trim() : null;
    return text === '0' ? 0 : text === '1' ? 1 : null;
  }
}

/** A constant converts the same for every row, and so does an unwritten column's value. */
function columnStep(column: ColumnSchema, binding: LoadPlan['bindings'][number], now: Date): ColumnStep {
  const convert = converterFor(column);
  const step: ColumnStep = { source: -1, apply: undefined, convert, fixed: null, name: column.name, nullable: column.nullable };
  if (binding.kind === 'source') {
    step.source = binding.index;
    step.apply = binding.apply;
  }
  else if (binding.kind === 'constant') step.fixed = convert(binding.value);
  else step.fixed = unwrittenValue(column, binding.kind === 'keep', now);
  return step;
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
    case 'varbinary':
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
