/**
 * StarRocks DDL dialect (§7.2), just what tests and loaders need: CREATE/DROP DATABASE,
 * CREATE TABLE with key/distribution/properties clauses, DROP and TRUNCATE TABLE.
 */
import { STRING_LENGTH, type ColumnType, type IntegerTypeName } from './column-type.ts';
import { analysisError, SqlError, ER_PARSE } from './sql-error.ts';
import { castText } from './sql-cast.ts';
import { describe, LexError, TokenCursor } from './sql-lexer.ts';
import type { AggregateFunction, ColumnDefault, ColumnSchema, KeysType, TableSchema } from './schema.ts';

export type QualifiedName = { db: string | null; name: string };

export type DdlStatement =
  | { kind: 'create-database'; name: string; ifNotExists: boolean }
  | { kind: 'drop-database'; name: string; ifExists: boolean }
  | { kind: 'create-table'; table: QualifiedName; ifNotExists: boolean; schema: Omit<TableSchema, 'db' | 'name'> }
  | { kind: 'drop-table'; table: QualifiedName; ifExists: boolean }
  | { kind: 'truncate-table'; table: QualifiedName };

/** Parses a DDL statement, or returns null when the statement is not DDL. */
export function parseDdl(cur: TokenCursor): DdlStatement | null {
  try {
    if (cur.acceptWord('CREATE')) {
      if (cur.acceptWord('DATABASE') || cur.acceptWord('SCHEMA')) {
        const ifNotExists = cur.acceptWords('IF', 'NOT', 'EXISTS');
        const name = cur.expectIdent();
        if (cur.acceptWord('PROPERTIES')) cur.skipGroup();
        cur.expectEnd();
        return { kind: 'create-database', name, ifNotExists };
      }
      cur.expectWord('TABLE');
      return createTable(cur);
    }
    if (cur.acceptWord('DROP')) {
      if (cur.acceptWord('DATABASE') || cur.acceptWord('SCHEMA')) {
        const ifExists = cur.acceptWords('IF', 'EXISTS');
        const name = cur.expectIdent();
        cur.acceptWord('FORCE');
        cur.expectEnd();
        return { kind: 'drop-database', name, ifExists };
      }
      cur.expectWord('TABLE');
      const ifExists = cur.acceptWords('IF', 'EXISTS');
      const table = cur.qualifiedName();
      cur.acceptWord('FORCE');
      cur.expectEnd();
      return { kind: 'drop-table', table, ifExists };
    }
    if (cur.acceptWord('TRUNCATE')) {
      cur.expectWord('TABLE');
      const table = cur.qualifiedName();
      cur.expectEnd();
      return { kind: 'truncate-table', table };
    }
    return null;
  } catch (e) {
    if (e instanceof LexError) throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: ${e.message}`);
    throw e;
  }
}

function createTable(cur: TokenCursor): DdlStatement {
  const ifNotExists = cur.acceptWords('IF', 'NOT', 'EXISTS');
  const table = cur.qualifiedName();
  cur.expectPunct('(');
  const columns: ColumnSchema[] = [];
  do {
    if (cur.isWord('INDEX')) {
      // Bitmap/N-gram indexes change nothing the emulator models.
      cur.next();
      cur.expectIdent();
      cur.skipGroup();
      while (!cur.done && !cur.isPunct(',') && !cur.isPunct(')')) cur.next();
      continue;
    }
    columns.push(columnDefinition(cur));
  } while (cur.acceptPunct(','));
  cur.expectPunct(')');

  let keysType: KeysType | null = null;
  let keyNames: string[] = [];
  let distribution: TableSchema['distribution'] = { kind: 'random', buckets: null };
  const properties: Record<string, string> = {};
  let comment = '';
  while (!cur.done && !cur.acceptPunct(';')) {
    if (cur.acceptWord('ENGINE')) {
      cur.expectPunct('=');
      const engine = cur.expectIdent();
      if (engine.toUpperCase() !== 'OLAP') throw new SqlError(ER_PARSE, `Unknown engine name: ${engine}`);
    } else if (cur.isWord('PRIMARY') || cur.isWord('DUPLICATE') || cur.isWord('UNIQUE') || cur.isWord('AGGREGATE')) {
      keysType = cur.expectIdent().toUpperCase() as KeysType;
      cur.expectWord('KEY');
      keyNames = nameList(cur);
    } else if (cur.acceptWord('COMMENT')) {
      comment = cur.expectString();
    } else if (cur.acceptWord('PARTITION')) {
      // Partitioning does not change what a client observes of loads; skip the clause.
      cur.expectWord('BY');
      while (!cur.done && !['DISTRIBUTED', 'ORDER', 'PROPERTIES'].some((w) => cur.isWord(w))) {
        if (cur.isPunct('(')) cur.skipGroup();
        else cur.next();
      }
    } else if (cur.acceptWords('DISTRIBUTED', 'BY')) {
      const random = cur.acceptWord('RANDOM');
      if (!random) cur.expectWord('HASH');
      const hashColumns = random ? [] : nameList(cur);
      const buckets = cur.acceptWord('BUCKETS') ? cur.expectNumber() : null;
      distribution = random ? { kind: 'random', buckets } : { kind: 'hash', columns: hashColumns, buckets };
    } else if (cur.acceptWords('ORDER', 'BY')) {
      // A Primary Key table's sort key changes storage, not what a client reads back.
      nameList(cur);
    } else if (cur.acceptWord('PROPERTIES')) {
      cur.expectPunct('(');
      do {
        const key = cur.expectString();
        cur.expectPunct('=');
        properties[key] = cur.expectString();
      } while (cur.acceptPunct(','));
      cur.expectPunct(')');
    } else {
      throw new LexError(`unexpected ${describe(cur.peek())} in CREATE TABLE`);
    }
  }
  const resolved = resolveKeys(columns, keysType, keyNames);
  for (const name of distribution.kind === 'hash' ? distribution.columns : []) {
    if (!columns.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
      throw analysisError(`Distribution column(${name}) doesn't exist.`);
    }
  }
  return {
    kind: 'create-table',
    table,
    ifNotExists,
    schema: { keysType: resolved, columns, distribution, properties, comment },
  };
}

/** Marks key columns and enforces §7.2: ordered prefix, no FLOAT/DOUBLE keys, PK columns NOT NULL. */
function resolveKeys(columns: ColumnSchema[], keysType: KeysType | null, keyNames: string[]): KeysType {
  const type = keysType ?? 'DUPLICATE';
  const names = keysType ? keyNames : defaultSortKey(columns);
  names.forEach((name, i) => {
    if (!columns.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
      throw analysisError(`Key column(${name}) doesn't exist.`);
    }
    if (columns[i]?.name.toLowerCase() !== name.toLowerCase()) {
      throw analysisError('Key columns should be a ordered prefix of the schema.');
    }
  });
  columns.forEach((c, i) => {
    c.isKey = i < names.length;
    if (c.isKey && (c.type.kind === 'float' || c.type.kind === 'double')) {
      throw analysisError('Float or double can not used as a key, use decimal instead.');
    }
    if (c.isKey && type === 'PRIMARY') c.nullable = false;
    if (c.aggregate && (c.isKey || type !== 'AGGREGATE')) {
      throw analysisError(`Key column or column of non-aggregate table can not have aggregate type: ${c.name}`);
    }
    if (!c.isKey && type === 'AGGREGATE' && !c.aggregate) {
      throw analysisError(`Value column of aggregate table must specify aggregate type: ${c.name}`);
    }
  });
  return type;
}

/**
 * Without a key clause StarRocks makes a Duplicate Key table whose sort key is a short prefix
 * (at most 3 columns, ending at the first string column) — a simplification of its 36-byte rule.
 */
function defaultSortKey(columns: ColumnSchema[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    if (names.length === 3 || ['float', 'double', 'json'].includes(c.type.kind)) break;
    names.push(c.name);
    if (c.type.kind === 'varchar' || c.type.kind === 'char') break;
  }
  return names;
}

function nameList(cur: TokenCursor): string[] {
  cur.expectPunct('(');
  const names: string[] = [];
  do names.push(cur.expectIdent());
  while (cur.acceptPunct(','));
  cur.expectPunct(')');
  return names;
}

const AGGREGATES = new Set<AggregateFunction>(['SUM', 'MAX', 'MIN', 'REPLACE', 'REPLACE_IF_NOT_NULL']);

function columnDefinition(cur: TokenCursor): ColumnSchema {
  const name = cur.expectIdent();
  const type = columnType(cur);
  const column: ColumnSchema = { name, type, nullable: true, isKey: false, default: { kind: 'none' }, aggregate: null, comment: '' };
  for (;;) {
    const word = cur.peek();
    if (word?.kind !== 'ident' || word.quoted) break;
    const upper = word.text.toUpperCase();
    if (AGGREGATES.has(upper as AggregateFunction)) {
      cur.next();
      column.aggregate = upper as AggregateFunction;
    } else if (cur.acceptWords('NOT', 'NULL')) {
      column.nullable = false;
    } else if (cur.acceptWord('NULL')) {
      column.nullable = true;
    } else if (cur.acceptWord('DEFAULT')) {
      column.default = defaultValue(cur, column);
    } else if (cur.acceptWord('COMMENT')) {
      column.comment = cur.expectString();
    } else if (cur.acceptWord('KEY') || cur.acceptWord('AUTO_INCREMENT')) {
      // KEY is redundant with the key clause; AUTO_INCREMENT values are never generated by loads here.
    } else {
      throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: unsupported column attribute '${word.text}' (StarRocks emulator)`);
    }
  }
  return column;
}

function defaultValue(cur: TokenCursor, column: ColumnSchema): ColumnDefault {
  if (cur.acceptWord('NULL')) return { kind: 'value', text: null };
  if (cur.acceptWord('CURRENT_TIMESTAMP')) {
    if (cur.acceptPunct('(')) cur.expectPunct(')');
    return { kind: 'current_timestamp' };
  }
  const negative = cur.acceptPunct('-');
  const t = cur.next();
  if (t?.kind !== 'string' && t?.kind !== 'number') throw new LexError(`invalid DEFAULT for column ${column.name}`);
  const literal = negative ? `-${t.text}` : t.text;
  const text = castText(column.type, literal);
  if (text === null) throw analysisError(`Invalid default value for '${column.name}': ${literal}`);
  return { kind: 'value', text };
}

const INTEGER_TYPES: Record<string, IntegerTypeName> = {
  TINYINT: 'TINYINT',
  SMALLINT: 'SMALLINT',
  INT: 'INT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
  LARGEINT: 'LARGEINT',
};

function columnType(cur: TokenCursor): ColumnType {
  const word = cur.expectIdent().toUpperCase();
  const params = (): number[] => {
    if (!cur.acceptPunct('(')) return [];
    const values = [cur.expectNumber()];
    while (cur.acceptPunct(',')) values.push(cur.expectNumber());
    cur.expectPunct(')');
    return values;
  };
  const integer = INTEGER_TYPES[word];
  if (integer) {
    params(); // display width, e.g. INT(11)
    return { kind: 'integer', name: integer };
  }
  switch (word) {
    case 'BOOLEAN':
    case 'BOOL':
      return { kind: 'boolean' };
    case 'FLOAT':
      return { kind: 'float' };
    case 'DOUBLE':
      return { kind: 'double' };
    case 'DECIMAL':
    case 'DECIMALV2':
    case 'DECIMAL32':
    case 'DECIMAL64':
    case 'DECIMAL128':
    case 'NUMERIC': {
      const [precision = 10, scale = 0] = params();
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw analysisError(`Invalid decimal type with precision = ${precision}, scale = ${scale}`);
      }
      return { kind: 'decimal', precision, scale };
    }
    case 'CHAR': {
      const [length = 1] = params();
      return { kind: 'char', length };
    }
    case 'VARCHAR': {
      const [length = 1] = params();
      if (length < 1 || length > 1048576) throw analysisError(`VARCHAR length must be between 1 and 1048576: ${length}`);
      return { kind: 'varchar', length };
    }
    case 'STRING':
      return { kind: 'varchar', length: STRING_LENGTH };
    case 'DATE':
      return { kind: 'date' };
    case 'DATETIME':
      return { kind: 'datetime' };
    case 'JSON':
      return { kind: 'json' };
    default:
      throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: type ${word} is not supported by the StarRocks emulator`);
  }
}
