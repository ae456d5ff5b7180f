/**
 * Rows of one table, in memory. Values are canonical MySQL text (or null), one per schema column.
 * Primary Key / Unique / Aggregate tables keep a Map by key; Duplicate Key tables append. A schema
 * change reshapes the stored rows; a load built against an older column list is mapped onto the
 * current one when applied (§7.3: loads keep running during a schema change).
 */
import { compareNullable } from './column-type.ts';
import { unwrittenValue } from './row-builder.ts';
import type { ColumnSchema, TableSchema } from './schema.ts';
import { castText } from './sql-cast.ts';

export type Row = (string | null)[];

/**
 * A row as the store keeps it: one flat string. An array and a string per value, each pointing into
 * the whole request body and keeping it alive, made the collector the emulator's largest cost in
 * the benchmark, with a million rows stored. The values are joined after a leading separator, with
 * NULL as a lone NUL; a row holding either control character in a value is kept as its JSON text,
 * which starts with `[` instead. Joining is several times cheaper than JSON.stringify.
 */
export type StoredRow = string;
const separator = '\u0001';
const nullValue = '\u0000';

export function pack(row: Row): StoredRow {
  for (const value of row) {
    if (value !== null && (value.includes(separator) || value.includes(nullValue))) return JSON.stringify(row);
  }
  // A leading '' puts the separator first within one join: one flat string, not a concatenation.
  const parts: string[] = [''];
  for (const value of row) parts.push(value ?? nullValue);
  return parts.join(separator);
}

export function unpack(stored: StoredRow): Row {
  if (stored[0] !== separator) return JSON.parse(stored) as Row;
  return stored.slice(1).split(separator).map((value) => (value === nullValue ? null : value));
}

/**
 * One row operation of a load, its row packed as the store keeps it and its key (rowKey) in a
 * keyed table: a load's rows then wait for their publish as one string each, not an array and a
 * string per value, which the collector had to copy. `columns` limits an upsert to a partial
 * update's columns (§2.3).
 */
export type RowOp = { op: 'upsert'; key: string | null; row: StoredRow; columns?: number[] } | { op: 'delete'; key: string | null; row: StoredRow };

/** A one-column key is its value (NULL stays apart from 'NULL' as a Map key); a composite key its JSON. */
export function rowKey(row: Row, keyIndexes: number[]): string | null {
  if (keyIndexes.length === 1) return row[keyIndexes[0]!]!;
  return JSON.stringify(keyIndexes.map((i) => row[i]));
}

export class TableStore {
  private byKey = new Map<string | null, StoredRow>();
  private readonly appended: StoredRow[] = [];
  private keyIndexes: number[];

  constructor(
    readonly schema: TableSchema,
    private readonly now: () => number,
  ) {
    this.keyIndexes = keyIndexesOf(schema.columns);
  }

  get count(): number {
    return this.schema.keysType === 'DUPLICATE' ? this.appended.length : this.byKey.size;
  }

  /**
   * Applies a load's operations in row order. Synchronous, so a load is visible all at once.
   * `builtWith` is the column list the rows were built for.
   */
  apply(ops: RowOp[], builtWith: ColumnSchema[]): void {
    const sameShape = builtWith === this.schema.columns;
    for (const built of ops) {
      const op = sameShape ? built : this.mapOp(built, builtWith);
      if (this.schema.keysType === 'DUPLICATE') {
        this.appended.push(op.row);
        continue;
      }
      const key = op.key;
      if (op.op === 'delete') {
        this.byKey.delete(key);
        continue;
      }
      // Only partial updates and Aggregate tables combine with the stored row.
      const packed = op.columns || this.schema.keysType === 'AGGREGATE' ? this.byKey.get(key) : undefined;
      const stored = packed === undefined ? undefined : unpack(packed);
      if (op.columns && stored) this.byKey.set(key, pack(mergePartial(stored, unpack(op.row), op.columns)));
      else if (this.schema.keysType === 'AGGREGATE' && stored) this.byKey.set(key, pack(aggregate(this.schema.columns, stored, unpack(op.row))));
      else this.byKey.set(key, op.row);
    }
  }

  /** Keyed tables in key order (as a scan of sorted tablets returns them), Duplicate in load order. */
  rows(): Row[] {
    if (this.schema.keysType === 'DUPLICATE') return this.appended.map(unpack);
    const keyed = [...this.byKey.values()].map(unpack);
    return keyed.sort((a, b) => {
      for (const i of this.keyIndexes) {
        const order = compareNullable(this.schema.columns[i]!.type, a[i]!, b[i]!);
        if (order !== 0) return order;
      }
      return 0;
    });
  }

  truncate(): void {
    this.byKey.clear();
    this.appended.length = 0;
  }

  /**
   * Moves the stored rows from `previous` to `schema.columns` (already replaced by the schema
   * change) and re-keys keyed rows. Existing rows get an added column's DEFAULT (§7.3).
   */
  reshape(previous: ColumnSchema[]): void {
    const now = new Date(this.now());
    const move = (row: StoredRow) => this.mapRow(unpack(row), previous, now);
    this.keyIndexes = keyIndexesOf(this.schema.columns);
    if (this.schema.keysType === 'DUPLICATE') {
      this.appended.forEach((row, i) => (this.appended[i] = pack(move(row))));
      return;
    }
    const rows = [...this.byKey.values()].map(move);
    this.byKey = new Map(rows.map((row) => [rowKey(row, this.keyIndexes), pack(row)]));
  }

  /** A row of an older column list: dropped columns go, added ones get their fill value. */
  private mapRow(row: Row, from: ColumnSchema[], now: Date): Row {
    return this.schema.columns.map((c) => {
      const i = from.indexOf(c);
      if (i >= 0) return row[i]!;
      const was = c.replaces ? from.indexOf(c.replaces) : -1;
      if (was < 0) return unwrittenValue(c, true, now);
      // A MODIFY COLUMN job converts what is stored; it only allows conversions that keep the value.
      const value = row[was]!;
      return value === null ? null : castText(c.type, value);
    });
  }

  /** A load's operation built before a schema change finished ("shadow columns are filled"). */
  private mapOp(op: RowOp, builtWith: ColumnSchema[]): RowOp {
    const row = this.mapRow(unpack(op.row), builtWith, new Date(this.now()));
    const mapped = { key: rowKey(row, this.keyIndexes), row: pack(row) };
    if (op.op === 'delete' || !op.columns) return { ...op, ...mapped };
    const written = op.columns.map((i) => this.schema.columns.indexOf(builtWith[i]!)).filter((i) => i >= 0);
    return { op: 'upsert', ...mapped, columns: written };
  }
}

export function keyIndexesOf(columns: ColumnSchema[]): number[] {
  return columns.flatMap((c, i) => (c.isKey ? [i] : []));
}

function mergePartial(stored: Row, incoming: Row, columns: number[]): Row {
  const merged = [...stored];
  for (const i of columns) merged[i] = incoming[i]!;
  return merged;
}

/** Aggregate Key tables fold value columns with their aggregate function (§7.2). */
function aggregate(columns: ColumnSchema[], stored: Row, incoming: Row): Row {
  return columns.map((c, i) => {
    const old = stored[i]!;
    const next = incoming[i]!;
    switch (c.aggregate) {
      case null:
      case 'REPLACE':
        return next;
      case 'REPLACE_IF_NOT_NULL':
        return next ?? old;
      case 'MAX':
        return old === null || (next !== null && compareNullable(c.type, next, old) > 0) ? next : old;
      case 'MIN':
        return old === null || (next !== null && compareNullable(c.type, next, old) < 0) ? next : old;
      case 'SUM':
        return old === null ? next : next === null ? old : sum(c, old, next);
    }
  });
}

function sum(column: ColumnSchema, a: string, b: string): string {
  const t = column.type;
  if (t.kind === 'integer') return (BigInt(a) + BigInt(b)).toString();
  if (t.kind === 'decimal') {
    const total = BigInt(a.replace('.', '')) + BigInt(b.replace('.', ''));
    const digits = (total < 0n ? -total : total).toString().padStart(t.scale + 1, '0');
    const body = t.scale === 0 ? digits : `${digits.slice(0, -t.scale)}.${digits.slice(-t.scale)}`;
    return total < 0n ? `-${body}` : body;
  }
  return String(Number(a) + Number(b));
}
