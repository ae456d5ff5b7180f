/**
 * A tiny tokenizer for the few SQL shapes the emulator understands (DDL, information_schema
 * selects, the `columns` load header). No SQL engine: callers walk tokens with a cursor.
 */
export type Token =
  | { kind: 'ident'; text: string; quoted: boolean }
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'param' };

const PUNCT = new Set(['(', ')', ',', '.', '=', ';', '*', '<', '>', '-', '+', '/']);

export class LexError extends Error {}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new LexError('unterminated quoted identifier');
      tokens.push({ kind: 'ident', text: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === "'" || c === '"') {
      const [text, next] = readQuoted(sql, i);
      tokens.push({ kind: 'string', text });
      i = next;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_@$]/.test(c)) {
      const m = /^[@A-Za-z_$][\w$@.]*/.exec(sql.slice(i))!;
      // Dots split qualified names (db.table) except inside @@session.var.
      const text = m[0].startsWith('@') ? m[0] : m[0].split('.')[0]!;
      tokens.push({ kind: 'ident', text, quoted: false });
      i += text.length;
    } else if (c === '?') {
      tokens.push({ kind: 'param' });
      i++;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else {
      throw new LexError(`unexpected character '${c}'`);
    }
  }
  return tokens;
}

function readQuoted(sql: string, start: number): [string, number] {
  const quote = sql[start]!;
  let out = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\' && i + 1 < sql.length) {
      const n = sql[i + 1]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === '0' ? '\0' : n;
      i += 2;
    } else if (c === quote && sql[i + 1] === quote) {
      out += quote;
      i += 2;
    } else if (c === quote) {
      return [out, i + 1];
    } else {
      out += c;
      i++;
    }
  }
  throw new LexError('unterminated string literal');
}

/** Cursor over tokens with the helpers every small parser here needs. */
export class TokenCursor {
  private pos = 0;

  constructor(readonly tokens: Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  /** True (and consumes) when the next token is the keyword `word` (case-insensitive, unquoted). */
  acceptWord(word: string): boolean {
    const t = this.peek();
    if (t?.kind === 'ident' && !t.quoted && t.text.toUpperCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  acceptWords(...words: string[]): boolean {
    const save = this.pos;
    for (const w of words) {
      if (!this.acceptWord(w)) {
        this.pos = save;
        return false;
      }
    }
    return true;
  }

  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.kind === 'ident' && !t.quoted && t.text.toUpperCase() === word;
  }

  isPunct(p: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.text === p;
  }

  acceptPunct(p: string): boolean {
    const t = this.peek();
    if (t?.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }

  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) throw new LexError(`expected '${p}' but found ${describe(this.peek())}`);
  }

  expectWord(word: string): void {
    if (!this.acceptWord(word)) throw new LexError(`expected ${word} but found ${describe(this.peek())}`);
  }

  expectIdent(): string {
    const t = this.next();
    if (t?.kind !== 'ident') throw new LexError(`expected a name but found ${describe(t)}`);
    return t.text;
  }

  expectNumber(): number {
    const t = this.next();
    if (t?.kind !== 'number') throw new LexError(`expected a number but found ${describe(t)}`);
    return Number(t.text);
  }

  expectString(): string {
    const t = this.next();
    if (t?.kind !== 'string') throw new LexError(`expected a string but found ${describe(t)}`);
    return t.text;
  }

  /** `name` or `db.name`. */
  qualifiedName(): { db: string | null; name: string } {
    const first = this.expectIdent();
    if (this.acceptPunct('.')) return { db: first, name: this.expectIdent() };
    return { db: null, name: first };
  }

  /** Skips a balanced `( ... )` group; the cursor must be on `(`. */
  skipGroup(): void {
    this.expectPunct('(');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (!t) throw new LexError('unbalanced parentheses');
      if (t.kind === 'punct' && t.text === '(') depth++;
      if (t.kind === 'punct' && t.text === ')') depth--;
    }
  }

  expectEnd(): void {
    this.acceptPunct(';');
    if (!this.done) throw new LexError(`unexpected ${describe(this.peek())}`);
  }
}

export function describe(t: Token | undefined): string {
  if (!t) return 'end of statement';
  if (t.kind === 'param') return "'?'";
  return `'${t.text}'`;
}
