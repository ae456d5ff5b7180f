/**
 * The statements the FE query port answers (§7.1): discovery selects, information_schema, DESC,
 * SHOW DATABASES/TABLES, SHOW CREATE TABLE, SHOW ALTER TABLE COLUMN, USE/SET, DDL, and reading
 * rows back. Anything else is error 1064.
 */
import { INFORMATION_SCHEMA, type Catalog } from './catalog.ts';
import type { ColumnType } from './column-type.ts';
import { parseDdl } from './ddl-parser.ts';
import { describeTable, informationSchemaView } from './information-schema.ts';
import { parseFilters, parseSelect, runSelect, type ResultSet, type SelectItem, type SelectStatement } from './select-engine.ts';
import { showCreateTable } from './show-create.ts';
import { analysisError, SqlError, ER_BAD_DB, ER_PARSE, unsupported } from './sql-error.ts';
import { LexError, TokenCursor, tokenize, type Token } from './sql-lexer.ts';

/** `select current_version()` (§7.1: `<version>-<short commit>`). */
export const STARROCKS_VERSION = '3.3.9-abc1234';
/** Handshake version, `version()` and `@@version` in 3.x (`Config.mysql_server_version`). */
export const MYSQL_SERVER_VERSION = '5.1.0';

export interface Session {
  currentDb: string | null;
  user: string;
  connectionId: number;
}

export type StatementResult = { kind: 'ok'; affectedRows: number } | { kind: 'rows'; result: ResultSet };

const TEXT: ColumnType = { kind: 'varchar', length: 65533 };
const NUMBER: ColumnType = { kind: 'integer', name: 'BIGINT' };
const OK: StatementResult = { kind: 'ok', affectedRows: 0 };

/** Runs one statement; `params` replace `?` placeholders (prepared statements). */
export function runStatement(catalog: Catalog, session: Session, sql: string, params: (string | null)[] = []): StatementResult {
  let tokens: Token[];
  try {
    tokens = bindParams(tokenize(sql), params);
  } catch (e) {
    if (e instanceof LexError) throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: ${e.message}`);
    throw e;
  }
  try {
    return dispatch(catalog, session, new TokenCursor(tokens), sql);
  } catch (e) {
    if (e instanceof LexError) throw new SqlError(ER_PARSE, `Getting syntax error. Detail message: ${e.message}`);
    throw e;
  }
}

function dispatch(catalog: Catalog, session: Session, cur: TokenCursor, sql: string): StatementResult {
  if (cur.acceptWord('SELECT')) return { kind: 'rows', result: select(catalog, session, parseSelect(cur)) };
  if (cur.acceptWord('SET')) return OK;
  if (cur.acceptWord('USE')) {
    const db = cur.expectIdent();
    cur.expectEnd();
    useDatabase(catalog, session, db);
    return OK;
  }
  if (cur.acceptWord('DESC') || cur.acceptWord('DESCRIBE')) {
    const ref = cur.qualifiedName();
    cur.expectEnd();
    return { kind: 'rows', result: describeTable(catalog.requireTable(ref, session.currentDb)) };
  }
  if (cur.acceptWords('SHOW', 'DATABASES')) {
    cur.expectEnd();
    return rows([['Database', TEXT]], [INFORMATION_SCHEMA, ...catalog.databaseNames()].map((d) => [d]));
  }
  if (cur.acceptWords('SHOW', 'TABLES')) {
    const db = existingDb(catalog, cur.acceptWord('FROM') || cur.acceptWord('IN') ? cur.expectIdent() : session.currentDb);
    cur.expectEnd();
    return rows([[`Tables_in_${db}`, TEXT]], catalog.tables(db).map((t) => [t.schema.name]));
  }
  if (cur.acceptWords('SHOW', 'CREATE', 'TABLE')) {
    const table = catalog.requireTable(cur.qualifiedName(), session.currentDb);
    cur.expectEnd();
    return rows([['Table', TEXT], ['Create Table', TEXT]], [[table.schema.name, showCreateTable(table.schema)]]);
  }
  if (cur.acceptWords('SHOW', 'ALTER', 'TABLE', 'COLUMN')) {
    // `[FROM db] [WHERE TableName = 't' ...] [ORDER BY JobId DESC] [LIMIT n]` (§7.1, §7.3).
    const db = existingDb(catalog, cur.acceptWord('FROM') || cur.acceptWord('IN') ? cur.expectIdent() : session.currentDb);
    return { kind: 'rows', result: runSelect(parseFilters(cur, [{ kind: 'star' }], null), catalog.alterJobs.view(db)) };
  }
  const ddl = parseDdl(cur);
  if (ddl) {
    catalog.apply(ddl, session.currentDb);
    return OK;
  }
  throw unsupported(sql);
}

function existingDb(catalog: Catalog, db: string | null): string {
  if (db === null) throw new SqlError(1046, 'No database selected');
  if (!catalog.hasDatabase(db)) throw new SqlError(ER_BAD_DB, `Unknown database '${db}'`);
  return db;
}

export function useDatabase(catalog: Catalog, session: Session, db: string): void {
  if (db !== INFORMATION_SCHEMA && !catalog.hasDatabase(db)) throw new SqlError(ER_BAD_DB, `Unknown database '${db}'`);
  session.currentDb = db;
}

function select(catalog: Catalog, session: Session, stmt: SelectStatement): ResultSet {
  if (!stmt.from) {
    const values = stmt.items.map((item) => scalar(session, item));
    return { columns: values.map((v) => ({ name: v.label, type: v.type })), rows: [values.map((v) => v.value)] };
  }
  const db = stmt.from.db ?? session.currentDb;
  if (db?.toLowerCase() === INFORMATION_SCHEMA) return runSelect(stmt, informationSchemaView(catalog, stmt.from.name));
  const table = catalog.requireTable(stmt.from, session.currentDb);
  return runSelect(stmt, { columns: table.schema.columns.map((c) => ({ name: c.name, type: c.type })), rows: table.store.rows() });
}

function scalar(session: Session, item: SelectItem): { label: string; value: string | null; type: ColumnType } {
  if (item.kind === 'literal') return { label: item.label, value: item.value, type: item.isNumber ? NUMBER : TEXT };
  if (item.kind !== 'scalar') throw analysisError(`'${item.kind === 'star' ? '*' : item.label}' needs a FROM clause.`);
  const name = item.text.toLowerCase();
  if (name.startsWith('@@')) {
    const variable = name.slice(2).replace(/^(session|global|local)\./, '');
    const value = VARIABLES[variable];
    if (value === undefined) throw new SqlError(1193, `Unknown system variable '${variable}'`);
    return { label: item.label, value: String(value), type: typeof value === 'number' ? NUMBER : TEXT };
  }
  const functions: Record<string, () => string | null> = {
    'current_version()': () => STARROCKS_VERSION,
    'version()': () => MYSQL_SERVER_VERSION,
    'database()': () => session.currentDb,
    'schema()': () => session.currentDb,
    'connection_id()': () => String(session.connectionId),
    'current_user()': () => `'${session.user}'@'%'`,
    'user()': () => `'${session.user}'@'%'`,
  };
  const fn = functions[name];
  if (!fn) throw analysisError(`No matching function with signature: ${item.text}.`);
  return { label: item.label, value: fn(), type: name === 'connection_id()' ? NUMBER : TEXT };
}

/** Session variables MySQL drivers read at connect time; values of a default 3.x FE. */
const VARIABLES: Record<string, string | number> = {
  version: MYSQL_SERVER_VERSION,
  version_comment: `StarRocks version ${STARROCKS_VERSION}`,
  auto_increment_increment: 1,
  autocommit: 1,
  character_set_client: 'utf8',
  character_set_connection: 'utf8',
  character_set_results: 'utf8',
  character_set_server: 'utf8',
  collation_connection: 'utf8_general_ci',
  collation_server: 'utf8_general_ci',
  init_connect: '',
  interactive_timeout: 3600,
  // Connector/J 8.0 reads it from any server under 5.5, as StarRocks' 5.1.0 is.
  language: '/starrocks/share/english/',
  license: 'Apache License 2.0',
  lower_case_table_names: 0,
  max_allowed_packet: 33554432,
  net_buffer_length: 16384,
  net_write_timeout: 60,
  performance_schema: 0,
  query_cache_size: 1048576,
  query_cache_type: 0,
  query_timeout: 300,
  sql_mode: 'ONLY_FULL_GROUP_BY',
  system_time_zone: 'UTC',
  time_zone: 'Asia/Shanghai',
  transaction_isolation: 'REPEATABLE-READ',
  transaction_read_only: 0,
  tx_isolation: 'REPEATABLE-READ',
  tx_read_only: 0,
  wait_timeout: 28800,
};

function rows(spec: [string, ColumnType][], data: (string | null)[][]): StatementResult {
  return { kind: 'rows', result: { columns: spec.map(([name, type]) => ({ name, type })), rows: data } };
}

function bindParams(tokens: Token[], params: (string | null)[]): Token[] {
  let next = 0;
  return tokens.map((t): Token => {
    if (t.kind !== 'param') return t;
    if (next >= params.length) throw new LexError('not enough parameters for the placeholders');
    const value = params[next++]!;
    return value === null ? { kind: 'ident', text: 'NULL', quoted: false } : { kind: 'string', text: value };
  });
}
