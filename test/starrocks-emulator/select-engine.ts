/**
 * The small SELECT shape loaders and tests use on the query port (§7.1):
 * `SELECT <*|cols|count(*)> FROM [db.]t [WHERE c = v AND ...] [ORDER BY c [ASC|DESC], ...] [LIMIT ...]`
 * over a table or an information_schema view. No joins, no expressions.
 */
import { compareNullable, compareValues, type ColumnType } from './column-type.ts';
import { castText } from './sql-cast.ts';
import { analysisError } from './sql-error.ts';
import { LexError, TokenCursor } from './sql-lexer.ts';
import type { Row } from './table-store.ts';

export interface ResultColumn {
  name: string;
  type: ColumnType;
  /** How WHERE and ORDER BY compare the column when not by its wire type (numeric ids of SHOW). */
  orderAs?: ColumnType;
}

export interface ResultSet {
  columns: ResultColumn[];
  rows: Row[];
}

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'count'; label: string }
  | { kind: 'column'; name: string; label: string }
  /** A function call or variable without FROM, e.g. `current_version()`, `@@version`. */
  | { kind: 'scalar'; text: string; label: string }
  | { kind: 'literal'; value: string; isNumber: boolean; label: string };

export interface SelectStatement {
  items: SelectItem[];
  from: { db: string | null; name: string } | null;
  where: { column: string; value: string | null }[];
  orderBy: { column: string; desc: boolean }[];
  limit: { offset: number; count: number } | null;
}

/** Parses after the SELECT keyword. */
export function parseSelect(cur: TokenCursor): SelectStatement {
  const items: SelectItem[] = [];
  do items.push(selectItem(cur));
  while (cur.acceptPunct(','));
  const from = cur.acceptWord('FROM') ? cur.qualifiedName() : null;
  return parseFilters(cur, items, from);
}

/** `[WHERE ...] [ORDER BY ...] [LIMIT ...]` to the end of the statement (also SHOW ALTER TABLE's tail). */
export function parseFilters(cur: TokenCursor, items: SelectItem[], from: SelectStatement['from']): SelectStatement {
  const stmt: SelectStatement = { items, from, where: [], orderBy: [], limit: null };
  if (cur.acceptWord('WHERE')) {
    do {
      const column = cur.expectIdent();
      cur.expectPunct('=');
      stmt.where.push({ column, value: literal(cur) });
    } while (cur.acceptWord('AND'));
  }
  if (cur.acceptWords('ORDER', 'BY')) {
    do {
      const column = cur.expectIdent();
      const desc = cur.acceptWord('DESC');
      if (!desc) cur.acceptWord('ASC');
      stmt.orderBy.push({ column, desc });
    } while (cur.acceptPunct(','));
  }
  if (cur.acceptWord('LIMIT')) {
    const first = cur.expectNumber();
    if (cur.acceptPunct(',')) stmt.limit = { offset: first, count: cur.expectNumber() };
    else stmt.limit = { offset: cur.acceptWord('OFFSET') ? cur.expectNumber() : 0, count: first };
  }
  cur.expectEnd();
  return stmt;
}

function selectItem(cur: TokenCursor): SelectItem {
  const item = bareItem(cur);
  if (item.kind === 'star') return item;
  if (cur.acceptWord('AS')) return { ...item, label: aliasText(cur) };
  const next = cur.peek();
  if ((next?.kind === 'ident' && !['FROM', 'WHERE', 'ORDER', 'LIMIT'].some((w) => cur.isWord(w))) || next?.kind === 'string') {
    return { ...item, label: aliasText(cur) };
  }
  return item;
}

function aliasText(cur: TokenCursor): string {
  const t = cur.next();
  if (t?.kind === 'ident' || t?.kind === 'string') return t.text;
  throw new LexError('alias expected');
}

function bareItem(cur: TokenCursor): SelectItem {
  if (cur.acceptPunct('*')) return { kind: 'star' };
  const t = cur.next();
  if (t?.kind === 'number') return { kind: 'literal', value: t.text, isNumber: true, label: t.text };
  if (t?.kind === 'string') return { kind: 'literal', value: t.text, isNumber: false, label: t.text };
  if (t?.kind !== 'ident') throw new LexError('select item expected');
  if (t.text.startsWith('@@')) return { kind: 'scalar', text: t.text, label: t.text };
  if (!t.quoted && cur.acceptPunct('(')) {
    if (t.text.toLowerCase() === 'count') {
      const arg = cur.next();
      cur.expectPunct(')');
      const argText = arg?.kind === 'punct' || arg?.kind === 'number' || arg?.kind === 'ident' ? arg.text : '*';
      return { kind: 'count', label: `count(${argText})` };
    }
    cur.expectPunct(')');
    return { kind: 'scalar', text: `${t.text}()`, label: `${t.text}()` };
  }
  if (cur.acceptPunct('.')) {
    // `t.col`: the qualifier is the only table.
    const name = cur.expectIdent();
    return { kind: 'column', name, label: name };
  }
  return { kind: 'column', name: t.text, label: t.text };
}

function literal(cur: TokenCursor): string | null {
  if (cur.acceptWord('NULL')) return null;
  const negative = cur.acceptPunct('-');
  const t = cur.next();
  if (t?.kind === 'string') return t.text;
  if (t?.kind === 'number') return negative ? `-${t.text}` : t.text;
  throw new LexError('literal expected in WHERE');
}

/** Runs a parsed statement over one source of rows. */
export function runSelect(stmt: SelectStatement, source: ResultSet): ResultSet {
  const index = (name: string): number => {
    const i = source.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
    if (i < 0) throw analysisError(`Column '${name}' cannot be resolved.`);
    return i;
  };
  const typeOf = (i: number): ColumnType => source.columns[i]!.orderAs ?? source.columns[i]!.type;
  const conditions = stmt.where.map((w) => {
    const i = index(w.column);
    // `c = NULL` is never true in SQL; an uncastable literal matches nothing.
    const value = w.value === null ? null : castText(typeOf(i), w.value);
    return { i, value };
  });
  let rows = source.rows.filter((row) =>
    conditions.every(({ i, value }) => value !== null && row[i] !== null && compareValues(typeOf(i), row[i]!, value) === 0),
  );
  const order = stmt.orderBy.map((o) => ({ i: index(o.column), desc: o.desc }));
  if (order.length > 0) {
    rows = [...rows].sort((a, b) => {
      for (const { i, desc } of order) {
        const c = compareNullable(typeOf(i), a[i]!, b[i]!);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    });
  }
  if (stmt.limit) rows = rows.slice(stmt.limit.offset, stmt.limit.offset + stmt.limit.count);

  if (stmt.items.some((it) => it.kind === 'count')) {
    if (stmt.items.length !== 1) throw analysisError('count(*) with other select items needs GROUP BY, which the emulator does not support.');
    return { columns: [{ name: (stmt.items[0] as { label: string }).label, type: { kind: 'integer', name: 'BIGINT' } }], rows: [[String(rows.length)]] };
  }
  const projection = stmt.items.flatMap((it) => {
    if (it.kind === 'star') return source.columns.map((c, i) => ({ i, name: c.name }));
    if (it.kind === 'column') return [{ i: index(it.name), name: it.label }];
    throw analysisError(`'${it.label}' is not supported with FROM by the StarRocks emulator.`);
  });
  return {
    columns: projection.map((p) => ({ name: p.name, type: source.columns[p.i]!.type })),
    rows: rows.map((row) => projection.map((p) => row[p.i]!)),
  };
}
