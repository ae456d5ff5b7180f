/**
 * StarRocks column types the emulator supports (§7.2), how each is shown to clients (§7.1) and how
 * stored values (canonical MySQL text, see table-store.ts) are ordered.
 */
export type IntegerTypeName = 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT' | 'LARGEINT';

export type ColumnType =
  | { kind: 'boolean' }
  | { kind: 'integer'; name: IntegerTypeName }
  | { kind: 'float' }
  | { kind: 'double' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'char'; length: number }
  /** STRING is VARCHAR(65533) in 3.x (§7.2). */
  | { kind: 'varchar'; length: number }
  | { kind: 'date' }
  | { kind: 'datetime' }
  | { kind: 'json' }
  /**
   * BINARY is its alias (3.0+). Stored as the bytes' upper-case hex, which is what `hex(col)` shows
   * and what tests compare: a value's exact bytes, readable.
   */
  | { kind: 'varbinary'; length: number };

/** VARBINARY without a length holds up to 1048576 bytes, like VARCHAR's maximum. */
export const VARBINARY_LENGTH = 1048576;

export const STRING_LENGTH = 65533;

const INTEGER_BITS: Record<IntegerTypeName, number> = { TINYINT: 8, SMALLINT: 16, INT: 32, BIGINT: 64, LARGEINT: 128 };
/** MySQL display widths, used in COLUMN_TYPE (`int(11)`). */
const INTEGER_WIDTH: Record<IntegerTypeName, number> = { TINYINT: 4, SMALLINT: 6, INT: 11, BIGINT: 20, LARGEINT: 40 };
/** Decimal digits of each integer type, reported as COLUMN_SIZE. */
const INTEGER_DIGITS: Record<IntegerTypeName, number> = { TINYINT: 3, SMALLINT: 5, INT: 10, BIGINT: 19, LARGEINT: 39 };

/** The bounds, also as doubles (rounded) for comparing values a double holds exactly. */
export type IntegerRange = { min: bigint; max: bigint; minNumber: number; maxNumber: number };

/** Computed once: range checks run for every integer value a load reads. */
const INTEGER_RANGES = Object.fromEntries(
  Object.entries(INTEGER_BITS).map(([name, bits]) => {
    const max = (1n << BigInt(bits - 1)) - 1n;
    return [name, { min: -max - 1n, max, minNumber: Number(-max - 1n), maxNumber: Number(max) }];
  }),
) as Record<IntegerTypeName, IntegerRange>;

export function integerRange(name: IntegerTypeName): IntegerRange {
  return INTEGER_RANGES[name];
}

/** Upper-case type as in DESC and in error messages: `INT`, `DECIMAL(10,2)`, `VARCHAR(65533)`. */
export function sqlTypeName(t: ColumnType): string {
  switch (t.kind) {
    case 'integer':
      return t.name;
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'char':
      return `CHAR(${t.length})`;
    case 'varchar':
      return `VARCHAR(${t.length})`;
    case 'varbinary':
      return `VARBINARY(${t.length})`;
    default:
      return t.kind.toUpperCase();
  }
}

/** information_schema.COLUMNS.DATA_TYPE: MySQL-style lower-case; BOOLEAN shows as tinyint (§7.1). */
export function dataTypeName(t: ColumnType): string {
  switch (t.kind) {
    case 'boolean':
      return 'tinyint';
    case 'integer':
      return t.name.toLowerCase();
    default:
      return t.kind;
  }
}

/** information_schema.COLUMNS.COLUMN_TYPE, e.g. `int(11)`, `varchar(255)`, `decimal(10,2)` ([unconfirmed] §7.1). */
export function columnTypeText(t: ColumnType): string {
  switch (t.kind) {
    case 'integer':
      return `${t.name.toLowerCase()}(${INTEGER_WIDTH[t.name]})`;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'char':
    case 'varchar':
    case 'varbinary':
      return `${t.kind}(${t.length})`;
    default:
      return t.kind;
  }
}

/** COLUMN_SIZE: digits of numbers, length of strings; NULL for BOOLEAN (§7.1, SDK comment). */
export function columnSize(t: ColumnType): number | null {
  switch (t.kind) {
    case 'integer':
      return INTEGER_DIGITS[t.name];
    case 'float':
      return 7;
    case 'double':
      return 15;
    case 'decimal':
      return t.precision;
    case 'char':
    case 'varchar':
    case 'varbinary':
      return t.length;
    case 'date':
      return 10;
    case 'datetime':
      return 19;
    default:
      return null;
  }
}

/** DECIMAL_DIGITS: the scale of exact numbers, NULL otherwise. */
export function decimalDigits(t: ColumnType): number | null {
  if (t.kind === 'integer') return 0;
  if (t.kind === 'decimal') return t.scale;
  return null;
}

/** MySQL wire column types (mysql2's constants) and the character set a column is sent with. */
export const MYSQL_TYPE = {
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  LONGLONG: 0x08,
  DATE: 0x0a,
  DATETIME: 0x0c,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
} as const;

export function mysqlWireType(t: ColumnType): number {
  switch (t.kind) {
    case 'boolean':
      return MYSQL_TYPE.TINY;
    case 'integer':
      return { TINYINT: MYSQL_TYPE.TINY, SMALLINT: MYSQL_TYPE.SHORT, INT: MYSQL_TYPE.LONG, BIGINT: MYSQL_TYPE.LONGLONG, LARGEINT: MYSQL_TYPE.VAR_STRING }[t.name];
    case 'float':
      return MYSQL_TYPE.FLOAT;
    case 'double':
      return MYSQL_TYPE.DOUBLE;
    case 'decimal':
      return MYSQL_TYPE.NEWDECIMAL;
    case 'char':
      return MYSQL_TYPE.STRING;
    case 'varchar':
    case 'varbinary':
      return MYSQL_TYPE.VAR_STRING;
    case 'date':
      return MYSQL_TYPE.DATE;
    case 'datetime':
      return MYSQL_TYPE.DATETIME;
    case 'json':
      return MYSQL_TYPE.JSON;
  }
}

/** Orders two non-NULL canonical values of one type. */
export function compareValues(t: ColumnType, a: string, b: string): number {
  switch (t.kind) {
    case 'boolean':
    case 'integer':
      return compareBig(BigInt(a), BigInt(b));
    case 'decimal':
      return compareBig(BigInt(a.replace('.', '')), BigInt(b.replace('.', '')));
    case 'float':
    case 'double':
      return Number(a) - Number(b);
    default:
      // Fixed-width date text sorts lexically; strings sort by bytes like StarRocks' memcmp.
      return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
}

/** NULL sorts first in ascending order, as in StarRocks. */
export function compareNullable(t: ColumnType, a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return compareValues(t, a, b);
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
