/**
 * The FE's load plan: which source field feeds which table column, the `__op` slot, defaults,
 * partial-update columns — from the table schema and the `columns` header (§2.1, §2.2, §2.3, §6.2).
 */
import type { SourceValue } from './json-conversion.ts';
import type { LoadOptions } from './load-options.ts';
import { findColumn, keyColumns, type TableSchema } from './schema.ts';
import { LexError, TokenCursor, tokenize, type Token } from './sql-lexer.ts';

export type Binding =
  /** `apply`: a function of the `columns` mapping, e.g. `c = from_base64(tmp)`. */
  | { kind: 'source'; index: number; apply?: MappingFunction }
  | { kind: 'constant'; value: SourceValue }
  /** Not listed in `columns`: the column default. */
  | { kind: 'default' }
  /** Partial update: not written; a new row gets the default (§2.3). */
  | { kind: 'keep' };

export type OpBinding = { kind: 'source'; index: number } | { kind: 'constant'; op: 0 | 1 };

export interface LoadPlan {
  /** JSON keys in simple mode, field positions in CSV / jsonpaths mode. */
  sourceNames: string[];
  /** One per table column, in schema order. */
  bindings: Binding[];
  /** Only Primary Key tables have an `__op` slot (§2.2); other tables always append/replace. */
  op: OpBinding | null;
  /** Column indexes a partial update writes, or null. */
  partialColumns: number[] | null;
}

const OP_COLUMN = '__op';

type ColumnItem = { kind: 'name'; name: string } | { kind: 'mapping'; target: string; expr: Token[] };

export function planLoad(schema: TableSchema, options: LoadOptions): LoadPlan | { error: string } {
  let items: ColumnItem[] | null;
  try {
    items = options.columns === null ? null : parseColumns(options.columns);
  } catch (e) {
    if (e instanceof LexError) return { error: e.message };
    throw e;
  }
  const isPrimary = schema.keysType === 'PRIMARY';
  if (options.partialUpdate && !isPrimary) return { error: 'Only primary key table support partial update' };

  const sourceNames = items
    ? items.flatMap((it) => (it.kind === 'name' ? [it.name] : []))
    : schema.columns.map((c) => c.name);
  const bindings: Binding[] = items ? schema.columns.map(() => ({ kind: 'default' })) : schema.columns.map((_, index) => ({ kind: 'source', index }));
  let op: OpBinding | null = null;

  for (const item of items ?? []) {
    if (item.kind === 'name') {
      const index = sourceNames.indexOf(item.name);
      if (item.name.toLowerCase() === OP_COLUMN) {
        if (isPrimary) op = { kind: 'source', index };
        continue;
      }
      const column = findColumn(schema, item.name);
      // Unknown source names are not materialized, just ignored (§2.2).
      if (column) bindings[schema.columns.indexOf(column)] = { kind: 'source', index };
    }
  }
  for (const item of items ?? []) {
    if (item.kind !== 'mapping') continue;
    const value = mappingValue(item, sourceNames);
    if ('error' in value) return value;
    if (item.target.toLowerCase() === OP_COLUMN) {
      if (!isPrimary) continue; // §2.2: accepted and ignored on non-PK tables
      if (value.kind === 'source') op = value;
      else {
        const constant = opConstant(value.value);
        if ('error' in constant) return constant;
        op = constant;
      }
      continue;
    }
    const column = findColumn(schema, item.target);
    if (!column) return { error: `Mapping column is not in table. column: ${item.target}` };
    bindings[schema.columns.indexOf(column)] = value;
  }

  // §2.2 (4): JSON without `__op` in `columns` still reads a key named `__op` (missing → 0);
  // CSV without it is a constant UPSERT.
  if (isPrimary && op === null) {
    if (options.format === 'json') {
      sourceNames.push(OP_COLUMN);
      op = { kind: 'source', index: sourceNames.length - 1 };
    } else {
      op = { kind: 'constant', op: 0 };
    }
  }

  let partialColumns: number[] | null = null;
  if (options.partialUpdate) {
    // §2.3: exact, case-sensitive membership test of key names among the `columns` names.
    const listed = new Set((items ?? []).map((it) => (it.kind === 'name' ? it.name : it.target)));
    const missingKey = keyColumns(schema).find((k) => !listed.has(k.name));
    if (missingKey) return { error: `key column ${missingKey.name} not in partial update columns` };
    partialColumns = bindings.flatMap((b, i) => (b.kind === 'default' ? [] : [i]));
    bindings.forEach((b, i) => {
      if (b.kind === 'default') bindings[i] = { kind: 'keep' };
    });
  } else {
    const noDefault = schema.columns.find((c, i) => bindings[i]!.kind === 'default' && !c.nullable && c.default.kind === 'none');
    if (noDefault) return { error: `Column has no default value. column: ${noDefault.name}` };
  }
  return { sourceNames, bindings, op, partialColumns };
}

/**
 * Reserved words must be back-quoted in `columns`, which is parsed as SQL (§2.1, flink connector
 * #155). A subset of StarRocks' reserved keywords.
 */
const RESERVED = new Set(
  ('ADD ALL ALTER AND AS ASC BETWEEN BY CASE CREATE CROSS DATABASE DEFAULT DELETE DESC DESCRIBE DISTINCT DROP ' +
    'ELSE EXISTS FALSE FOR FROM FULL GROUP HAVING IF IN INDEX INNER INSERT INTO IS JOIN KEY KEYS LEFT LIKE LIMIT ' +
    'LOAD NOT NULL ON OR ORDER OUTER PARTITION PRIMARY RANGE REPLACE RIGHT ROW ROWS SELECT SET SHOW TABLE THEN TO ' +
    'TRUE UNION UNIQUE UPDATE USE USING VALUES WHEN WHERE WITH').split(' '),
);

function parseColumns(text: string): ColumnItem[] {
  const cur = new TokenCursor(tokenize(text));
  const items: ColumnItem[] = [];
  const names = new Set<string>();
  const targets = new Set<string>();
  do {
    const t = cur.next();
    if (t?.kind !== 'ident') throw new LexError(`Syntax error in line 1: unexpected input in columns: ${text}`);
    if (!t.quoted && RESERVED.has(t.text.toUpperCase())) {
      throw new LexError(`Syntax error in line 1: Unexpected input '${t.text}', the most similar input is {a legal identifier}.`);
    }
    if (!cur.acceptPunct('=')) {
      if (names.has(t.text.toLowerCase())) throw new LexError(`Duplicate column: ${t.text}`);
      names.add(t.text.toLowerCase());
      items.push({ kind: 'name', name: t.text });
      continue;
    }
    if (targets.has(t.text.toLowerCase())) throw new LexError(`Duplicate column mapping: ${t.text}`);
    targets.add(t.text.toLowerCase());
    const expr: Token[] = [];
    // A comma ends the mapping unless it separates a function's arguments.
    let depth = 0;
    while (!cur.done && (depth > 0 || !cur.isPunct(','))) {
      const token = cur.next()!;
      if (token.kind === 'punct' && token.text === '(') depth++;
      if (token.kind === 'punct' && token.text === ')') depth--;
      expr.push(token);
    }
    items.push({ kind: 'mapping', target: t.text, expr });
  } while (cur.acceptPunct(','));
  return items;
}

/** A mapping function of one source field; null for SQL NULL. */
export type MappingFunction = (value: SourceValue) => SourceValue;

/**
 * The functions of StarRocks the emulator evaluates in a `columns` mapping, for binary values:
 * from_base64 and unhex return the bytes (a VARCHAR holding them; NULL for invalid input), and
 * to_binary(x, 'encode64' | 'hex' | 'utf8') the same as VARBINARY.
 */
const MAPPING_FUNCTIONS: Record<string, (format: string | undefined) => MappingFunction | null> = {
  FROM_BASE64: (format) => (format === undefined ? decodeWith('encode64') : null),
  UNHEX: (format) => (format === undefined ? decodeWith('hex') : null),
  TO_BINARY: (format) => (format === undefined ? decodeWith('hex') : ['encode64', 'hex', 'utf8'].includes(format.toLowerCase()) ? decodeWith(format.toLowerCase()) : null),
};

function decodeWith(format: string): MappingFunction {
  return (value) => {
    const text = value.t === 'str' || value.t === 'text' ? value.v : value.t === 'num' ? value.raw : null;
    if (text === null) return value.t === 'bytes' ? value : { t: 'null' };
    if (format === 'utf8') return { t: 'bytes', v: Buffer.from(text, 'utf8') };
    const valid = format === 'hex' ? /^(?:[0-9a-fA-F]{2})*$/.test(text) : /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text);
    return valid ? { t: 'bytes', v: Buffer.from(text, format === 'hex' ? 'hex' : 'base64') } : { t: 'null' };
  };
}

/** Mapping expressions the emulator evaluates: a source field, a string/number literal, or a function above. */
function mappingValue(item: ColumnItem & { kind: 'mapping' }, sourceNames: string[]): Extract<Binding, { kind: 'source' | 'constant' }> | { error: string } {
  const [first, second] = item.expr;
  const call = functionCall(item.expr);
  if (call) {
    const make = MAPPING_FUNCTIONS[call.name.toUpperCase()];
    const apply = make?.(call.format);
    if (!apply) return { error: `column expression of ${item.target} is not supported by the StarRocks emulator` };
    const index = sourceNames.findIndex((n) => n.toLowerCase() === call.argument.toLowerCase());
    if (index < 0) return { error: `Unknown column '${call.argument}' in columns mapping of ${item.target}` };
    return { kind: 'source', index, apply };
  }
  if (item.expr.length === 1 && first?.kind === 'ident') {
    const index = sourceNames.findIndex((n) => n.toLowerCase() === first.text.toLowerCase());
    if (index < 0) return { error: `Unknown column '${first.text}' in columns mapping of ${item.target}` };
    return { kind: 'source', index };
  }
  if (item.expr.length === 1 && first?.kind === 'string') return { kind: 'constant', value: { t: 'str', v: first.text } };
  if (item.expr.length === 1 && first?.kind === 'number') return { kind: 'constant', value: { t: 'num', raw: first.text } };
  if (item.expr.length === 2 && first?.kind === 'punct' && first.text === '-' && second?.kind === 'number') {
    return { kind: 'constant', value: { t: 'num', raw: `-${second.text}` } };
  }
  return { error: `column expression of ${item.target} is not supported by the StarRocks emulator` };
}

/** `name(field)` or `name(field, 'format')`. */
function functionCall(expr: Token[]): { name: string; argument: string; format: string | undefined } | null {
  const [name, open, argument, ...rest] = expr;
  if (name?.kind !== 'ident' || open?.kind !== 'punct' || open.text !== '(' || argument?.kind !== 'ident') return null;
  if (rest.length === 1 && rest[0]!.kind === 'punct' && rest[0]!.text === ')') return { name: name.text, argument: argument.text, format: undefined };
  const [comma, format, close] = rest;
  if (rest.length === 3 && comma?.kind === 'punct' && comma.text === ',' && format?.kind === 'string' && close?.kind === 'punct' && close.text === ')') {
    return { name: name.text, argument: argument.text, format: format.text };
  }
  return null;
}

/** §2.2: `__op='upsert'|'delete'` (case-insensitive) or `__op=0|1`. */
function opConstant(value: SourceValue): OpBinding | { error: string } {
  if (value.t === 'str') {
    const lower = value.v.toLowerCase();
    if (lower === 'upsert') return { kind: 'constant', op: 0 };
    if (lower === 'delete') return { kind: 'constant', op: 1 };
    return { error: `load op type string not supported: ${value.v}` };
  }
  if (value.t === 'num' && (value.raw === '0' || value.raw === '1')) return { kind: 'constant', op: value.raw === '0' ? 0 : 1 };
  return { error: 'const load op type column should only be upsert(0)/delete(1)' };
}
