/**
 * StarRocks DDL dialect (§7.2, §7.3), just what tests and loaders need: CREATE/DROP DATABASE,
 * CREATE TABLE with key/distribution/properties clauses, ALTER TABLE ADD/DROP/MODIFY/RENAME COLUMN,
 * DROP and TRUNCATE TABLE.
 */
import { columnDefinition } from './column-definition.ts';
import { analysisError, SqlError, ER_PARSE } from './sql-error.ts';
import { describe, LexError, TokenCursor } from './sql-lexer.ts';
import type { ColumnSchema, KeysType, TableSchema } from './schema.ts';

export type QualifiedName = { db: string | null; name: string };

export type DdlStatement =
  | { kind: 'create-database'; name: string; ifNotExists: boolean }
  | { kind: 'drop-database'; name: string; ifExists: boolean }
  | { kind: 'create-table'; table: QualifiedName; ifNotExists: boolean; schema: Omit<TableSchema, 'db' | 'name'> }
  | { kind: 'drop-table'; table: QualifiedName; ifExists: boolean }
  | { kind: 'truncate-table'; table: QualifiedName }
  | { kind: 'alter-table'; table: QualifiedName; changes: ColumnChange[]; timeoutSeconds: number | null };

/** `AFTER c` or `FIRST`; null puts a value column last and a key column after the last key. */
export type ColumnPosition = { after: string } | 'first' | null;

/** One clause of ALTER TABLE; `rollup` is the `TO`/`FROM` rollup index, if named. */
export type ColumnChange =
  | { kind: 'add'; column: ColumnSchema; position: ColumnPosition; rollup: string | null }
  | { kind: 'drop'; name: string; rollup: string | null }
  | { kind: 'modify'; column: ColumnSchema; rollup: string | null }
  /** RENAME COLUMN (3.3.2+): a metadata change, done when the statement returns. */
  | { kind: 'rename'; from: string; to: string; rollup: null };

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
    if (cur.acceptWord('ALTER')) {
      cur.expectWord('TABLE');
      return alterTable(cur);
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

/**
 * `ALTER TABLE [db.]t clause[, clause...]` with `ADD COLUMN c type ... [AFTER x|FIRST] [TO r]`,
 * `ADD COLUMN (c1 t1, c2 t2) [TO r]`, `DROP COLUMN c [FROM r]`, `MODIFY COLUMN c type ...`,
 * `RENAME COLUMN a TO b`, each `[PROPERTIES ("timeout"="s")]`.
 */
function alterTable(cur: TokenCursor): DdlStatement {
  const table = cur.qualifiedName();
  const changes: ColumnChange[] = [];
  let timeoutSeconds: number | null = null;
  do {
    if (cur.acceptWords('ADD', 'COLUMN')) {
      const columns = cur.acceptPunct('(') ? columnList(cur) : null;
      const single = columns ? null : columnDefinition(cur);
      let position: ColumnPosition = null;
      if (single && cur.acceptWord('AFTER')) position = { after: cur.expectIdent() };
      else if (single && cur.acceptWord('FIRST')) position = 'first';
      const rollup = cur.acceptWord('TO') ? cur.expectIdent() : null;
      for (const column of columns ?? [single!]) changes.push({ kind: 'add', column, position, rollup });
    } else if (cur.acceptWords('DROP', 'COLUMN')) {
      const name = cur.expectIdent();
      changes.push({ kind: 'drop', name, rollup: cur.acceptWord('FROM') ? cur.expectIdent() : null });
    } else if (cur.acceptWords('MODIFY', 'COLUMN')) {
      const column = columnDefinition(cur);
      changes.push({ kind: 'modify', column, rollup: cur.acceptWord('FROM') ? cur.expectIdent() : null });
    } else if (cur.acceptWords('RENAME', 'COLUMN')) {
      const from = cur.expectIdent();
      cur.expectWord('TO');
      changes.push({ kind: 'rename', from, to: cur.expectIdent(), rollup: null });
    } else {
      throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: only ADD, DROP, MODIFY and RENAME COLUMN are supported by the StarRocks emulator`);
    }
    if (cur.acceptWord('PROPERTIES')) {
      const timeout = properties(cur).timeout;
      if (timeout !== undefined) timeoutSeconds = Number(timeout);
    }
  } while (cur.acceptPunct(','));
  cur.expectEnd();
  return { kind: 'alter-table', table, changes, timeoutSeconds };
}

/** After `(`: column definitions up to `)`. */
function columnList(cur: TokenCursor): ColumnSchema[] {
  const columns: ColumnSchema[] = [];
  do columns.push(columnDefinition(cur));
  while (cur.acceptPunct(','));
  cur.expectPunct(')');
  return columns;
}

/** `("k" = "v", ...)` after PROPERTIES. */
function properties(cur: TokenCursor): Record<string, string> {
  const result: Record<string, string> = {};
  cur.expectPunct('(');
  do {
    const key = cur.expectString();
    cur.expectPunct('=');
    result[key] = cur.expectString();
  } while (cur.acceptPunct(','));
  cur.expectPunct(')');
  return result;
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
  const tableProperties: Record<string, string> = {};
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
      Object.assign(tableProperties, properties(cur));
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
    schema: { keysType: resolved, columns, distribution, properties: tableProperties, comment },
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
    if (names.length === 3 || ['float', 'double', 'json', 'varbinary'].includes(c.type.kind)) break;
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
