import type { ColumnType } from './column-type.ts';

/** Table models (§7.2). */
export type KeysType = 'PRIMARY' | 'DUPLICATE' | 'UNIQUE' | 'AGGREGATE';

export type AggregateFunction = 'SUM' | 'MAX' | 'MIN' | 'REPLACE' | 'REPLACE_IF_NOT_NULL';

export type ColumnDefault =
  | { kind: 'none' }
  /** A literal default in canonical text, and as written (SHOW CREATE TABLE); null for `DEFAULT NULL`. */
  | { kind: 'value'; text: string | null; literal: string | null }
  | { kind: 'current_timestamp' };

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  nullable: boolean;
  isKey: boolean;
  default: ColumnDefault;
  aggregate: AggregateFunction | null;
  comment: string;
  /** The column a MODIFY COLUMN job replaces with this one: stored values move over, converted. */
  replaces?: ColumnSchema;
}

export interface TableSchema {
  db: string;
  name: string;
  keysType: KeysType;
  columns: ColumnSchema[];
  distribution: { kind: 'hash'; columns: string[]; buckets: number | null } | { kind: 'random'; buckets: number | null };
  properties: Record<string, string>;
  comment: string;
}

export function keyColumns(schema: TableSchema): ColumnSchema[] {
  return schema.columns.filter((c) => c.isKey);
}

/** Column names are case-insensitive (§7.2). */
export function findColumn(schema: TableSchema, name: string): ColumnSchema | undefined {
  const lower = name.toLowerCase();
  return schema.columns.find((c) => c.name.toLowerCase() === lower);
}

/** `TABLE_MODEL` of information_schema.tables_config (§7.1). */
export function tableModel(keysType: KeysType): string {
  return { PRIMARY: 'PRI_KEYS', DUPLICATE: 'DUP_KEYS', UNIQUE: 'UNQ_KEYS', AGGREGATE: 'AGG_KEYS' }[keysType];
}

/** `COLUMN_KEY` of key columns: the first three letters of the keys type (§7.1). */
export function columnKeyLabel(keysType: KeysType): string {
  return { PRIMARY: 'PRI', DUPLICATE: 'DUP', UNIQUE: 'UNI', AGGREGATE: 'AGG' }[keysType];
}
