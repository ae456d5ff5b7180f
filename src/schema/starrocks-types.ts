import type { MysqlType } from './mysql-ddl.ts'
import type { TargetColumn } from '../starrocks/starrocks-schema.ts'

/**
 * The StarRocks column type K2S gives a MySQL column it adds or creates (README "Schema changes"
 * has this table), and whether changing a target column to it is a widening StarRocks can do.
 * Each mapping holds every value canal can send for the MySQL type, as canal renders it
 * (cdc-formats.md §A.4); a type with no such StarRocks type is refused, never approximated.
 */
export type StarRocksType = {
  /** As written in DDL: `BIGINT`, `VARCHAR(1020)`, `DECIMAL(12,2)`. */
  sql: string
  /** information_schema.COLUMNS.DATA_TYPE of it. */
  dataType: string
  /** COLUMN_SIZE as StarRocks reports it for strings and decimals; null where K2S does not compare it. */
  size: number | null
  scale: number | null
}

/** `source` names the MySQL type as written, for the reason a column is refused. */
export type TypeMapping = { ok: true; type: StarRocksType } | { ok: false; reason: string; source: string }

// StarRocks' VARCHAR length is in bytes; a MySQL character is up to 4 bytes in utf8mb4.
const maxVarchar = 1_048_576
const varchar = (chars: number): StarRocksType => {
  const size = Math.min(Math.max(chars, 1) * 4, maxVarchar)
  return { sql: `VARCHAR(${size})`, dataType: 'varchar', size, scale: null }
}
const simple = (name: string): StarRocksType => ({ sql: name.toUpperCase(), dataType: name.toLowerCase(), size: null, scale: null })

export function starRocksType(t: MysqlType): TypeMapping {
  const ok = (type: StarRocksType): TypeMapping => ({ ok: true, type })
  const n = t.args[0]
  switch (t.name) {
    case 'TINYINT':
      return ok(simple(t.unsigned ? 'SMALLINT' : 'TINYINT'))
    case 'BOOL':
    case 'BOOLEAN':
      return ok(simple('TINYINT'))
    case 'SMALLINT':
      return ok(simple(t.unsigned ? 'INT' : 'SMALLINT'))
    case 'MEDIUMINT':
      return ok(simple('INT'))
    case 'INT':
    case 'INTEGER':
      return ok(simple(t.unsigned ? 'BIGINT' : 'INT'))
    case 'BIGINT':
      return ok(simple(t.unsigned ? 'LARGEINT' : 'BIGINT'))
    case 'SERIAL':
      return ok(simple('LARGEINT'))
    case 'BIT':
      // canal sends the unsigned value of the bits as a decimal number.
      return ok(simple((n ?? 1) <= 63 ? 'BIGINT' : 'LARGEINT'))
    case 'FLOAT':
      return ok(simple((n ?? 0) > 24 ? 'DOUBLE' : 'FLOAT'))
    case 'DOUBLE':
    case 'REAL':
      return ok(simple('DOUBLE'))
    case 'DECIMAL':
    case 'DEC':
    case 'NUMERIC':
    case 'FIXED': {
      const precision = n ?? 10
      const scale = t.args[1] ?? 0
      if (precision > 38) return { ok: false, reason: `DECIMAL(${precision},${scale}) has more digits than StarRocks' DECIMAL(38)`, source: `DECIMAL(${precision},${scale})` }
      return ok({ sql: `DECIMAL(${precision},${scale})`, dataType: 'decimal', size: precision, scale })
    }
    case 'DATE':
      return ok(simple('DATE'))
    case 'DATETIME':
    case 'TIMESTAMP':
      return ok(simple('DATETIME'))
    case 'TIME':
      // Up to ±838:59:59.999999: StarRocks has no TIME column type.
      return ok(varchar(20))
    case 'YEAR':
      return ok(simple('SMALLINT'))
    case 'CHAR':
    case 'NCHAR':
      return ok(varchar(n ?? 1))
    case 'VARCHAR':
    case 'NVARCHAR':
    case 'VARCHARACTER':
      return ok(varchar(n ?? 255))
    case 'TINYTEXT':
      return ok(varchar(255))
    case 'TEXT':
      return ok(varchar(n ?? 65_535))
    case 'MEDIUMTEXT':
    case 'LONGTEXT':
      return ok(varchar(maxVarchar))
    case 'ENUM':
    case 'SET': {
      // The member names joined (SET), or canal's index number: whichever the row builder sends fits.
      const chars = t.members.reduce((sum, m) => sum + m.length + 1, 0)
      return ok(varchar(Math.max(chars, 20)))
    }
    case 'JSON':
      return ok(simple('JSON'))
    case 'BINARY':
    case 'VARBINARY':
    case 'TINYBLOB':
    case 'BLOB':
    case 'MEDIUMBLOB':
    case 'LONGBLOB':
    case 'GEOMETRY':
    case 'POINT':
    case 'LINESTRING':
    case 'POLYGON':
    case 'MULTIPOINT':
    case 'MULTILINESTRING':
    case 'MULTIPOLYGON':
    case 'GEOMETRYCOLLECTION':
      return ok(simple('VARBINARY'))
    default:
      return { ok: false, reason: `MySQL type ${t.name} has no StarRocks type K2S maps it to`, source: t.name }
  }
}

const integerRank: Record<string, number> = { tinyint: 1, smallint: 2, int: 3, bigint: 4, largeint: 5 }

export type TypeChange = 'same' | 'widen' | 'narrow'

/**
 * What changing `current` to `next` is. A widening is a MODIFY COLUMN StarRocks performs without
 * losing a value (a larger integer, FLOAT to DOUBLE, a longer VARCHAR, more DECIMAL digits at the
 * same scale, DATE to DATETIME); anything else is `narrow`, which K2S never does on its own.
 */
export function typeChange(current: TargetColumn, next: StarRocksType): TypeChange {
  const from = current.dataType.toLowerCase()
  const to = next.dataType
  const fromRank = integerRank[from]
  const toRank = integerRank[to]
  if (fromRank !== undefined && toRank !== undefined) return toRank === fromRank ? 'same' : toRank > fromRank ? 'widen' : 'narrow'
  if (from === to) {
    if (to === 'varchar' || to === 'char') return sizeChange(current.size ?? null, next.size)
    if (to === 'decimal') {
      if ((current.scale ?? null) !== next.scale) return 'narrow'
      return sizeChange(current.size ?? null, next.size)
    }
    return 'same'
  }
  if (from === 'float' && to === 'double') return 'widen'
  if (from === 'date' && to === 'datetime') return 'widen'
  if (from === 'char' && to === 'varchar') return (next.size ?? 0) >= (current.size ?? Infinity) ? 'widen' : 'narrow'
  return 'narrow'
}

function sizeChange(current: number | null, next: number | null): TypeChange {
  if (current === next) return 'same'
  if (current === null || next === null) return 'narrow'
  return next > current ? 'widen' : 'narrow'
}
