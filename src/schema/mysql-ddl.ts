/**
 * canal's DDL text (`sql` of a DDL message, MySQL's own statement as written in the binlog) read
 * into the column changes K2S may carry to StarRocks. Only what can be read safely is read: any
 * clause this parser does not know makes the whole statement `unsupported`, with the clause named,
 * so the loader pauses the table instead of guessing (issue #15, alibaba/canal#4269).
 */
export type MysqlType = {
  /** Upper case: `INT`, `VARCHAR`, `DECIMAL`, `ENUM`… */
  name: string
  /** The numbers in parentheses (`DECIMAL(10,2)` → [10, 2]); ENUM/SET members go to `members`. */
  args: number[]
  members: string[]
  unsigned: boolean
}

export type MysqlColumn = {
  name: string
  type: MysqlType
  nullable: boolean
  /** The literal of `DEFAULT 'x'` / `DEFAULT 5`; null for `DEFAULT NULL` or none, undefined for an expression. */
  defaultValue: string | null | undefined
  /** `PRIMARY KEY` written on the column itself. */
  primaryKey: boolean
}

export type ColumnChange =
  | { kind: 'add'; column: MysqlColumn }
  | { kind: 'drop'; name: string }
  | { kind: 'modify'; column: MysqlColumn }
  /** CHANGE old new-definition: a rename and a type change in one clause. */
  | { kind: 'change'; from: string; column: MysqlColumn }
  | { kind: 'rename'; from: string; to: string }

export type SourceDdl =
  | { kind: 'alter'; table: string; changes: ColumnChange[] }
  | { kind: 'create'; table: string; columns: MysqlColumn[]; primaryKey: string[] }
  | { kind: 'truncate'; table: string }
  | { kind: 'drop-table'; table: string }
  /** Indexes, table options, comments: nothing a StarRocks table holds changes. */
  | { kind: 'no-change'; what: string }
  | { kind: 'unsupported'; reason: string }

type Token = { kind: 'word' | 'quoted' | 'string' | 'number' | 'punct'; text: string }

export function parseMysqlDdl(sql: string): SourceDdl {
  let tokens: Token[]
  try {
    tokens = tokenize(sql)
  } catch (err) {
    return { kind: 'unsupported', reason: (err as Error).message }
  }
  while (tokens.at(-1)?.text === ';') tokens.pop()
  try {
    return statement(new Cursor(tokens))
  } catch (err) {
    if (err instanceof Unsupported) return { kind: 'unsupported', reason: err.message }
    throw err
  }
}

class Unsupported extends Error {}

const tableOptions = new Set([
  'ENGINE', 'AUTO_INCREMENT', 'COMMENT', 'DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'ROW_FORMAT', 'ALGORITHM', 'LOCK',
  'KEY_BLOCK_SIZE', 'STATS_PERSISTENT', 'STATS_AUTO_RECALC', 'STATS_SAMPLE_PAGES', 'PACK_KEYS', 'CHECKSUM', 'FORCE',
  'CONVERT', 'AVG_ROW_LENGTH', 'MAX_ROWS', 'MIN_ROWS', 'COMPRESSION', 'ENCRYPTION', 'DISABLE', 'ENABLE', 'TABLESPACE',
  'DELAY_KEY_WRITE', 'INSERT_METHOD', 'ORDER', 'WITH', 'WITHOUT', 'VALIDATION',
])
const indexWords = new Set(['INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'UNIQUE', 'FOREIGN', 'CHECK'])

function statement(cur: Cursor): SourceDdl {
  if (cur.word('ALTER')) {
    cur.word('ONLINE')
    cur.word('IGNORE')
    if (!cur.word('TABLE')) return { kind: 'no-change', what: `ALTER ${cur.peekText()}` }
    const table = qualifiedName(cur)
    const changes: ColumnChange[] = []
    if (cur.done) return { kind: 'alter', table, changes }
    for (const spec of cur.splitTopLevel()) alterSpec(new Cursor(spec), changes)
    return { kind: 'alter', table, changes }
  }
  if (cur.word('CREATE')) {
    cur.word('TEMPORARY')
    if (cur.word('UNIQUE') || cur.word('FULLTEXT') || cur.word('SPATIAL') || cur.isWord('INDEX')) return { kind: 'no-change', what: 'CREATE INDEX' }
    if (!cur.word('TABLE')) return { kind: 'no-change', what: `CREATE ${cur.peekText()}` }
    if (cur.word('IF')) cur.expectWord('NOT').expectWord('EXISTS')
    const table = qualifiedName(cur)
    if (cur.isWord('LIKE') || cur.isWord('AS') || cur.isWord('SELECT')) throw new Unsupported('CREATE TABLE … LIKE/SELECT names no columns K2S can read')
    cur.expectPunct('(')
    const inner = cur.group()
    const columns: MysqlColumn[] = []
    let primaryKey: string[] = []
    for (const part of new Cursor(inner).splitTopLevel()) {
      const c = new Cursor(part)
      if (c.word('CONSTRAINT')) {
        if (!c.isWord('PRIMARY') && !c.isWord('UNIQUE') && !c.isWord('FOREIGN') && !c.isWord('CHECK')) c.next()
      }
      if (c.word('PRIMARY')) {
        c.expectWord('KEY')
        primaryKey = keyParts(c)
      } else if (indexWords.has(c.peekText().toUpperCase()) && c.peek()?.kind === 'word') {
        continue
      } else {
        const column = columnDefinition(c)
        columns.push(column)
        if (column.primaryKey) primaryKey = [column.name]
      }
    }
    return { kind: 'create', table, columns, primaryKey }
  }
  if (cur.word('TRUNCATE')) {
    cur.word('TABLE')
    return { kind: 'truncate', table: qualifiedName(cur) }
  }
  if (cur.word('DROP')) {
    cur.word('TEMPORARY')
    if (cur.word('TABLE')) {
      if (cur.word('IF')) cur.expectWord('EXISTS')
      return { kind: 'drop-table', table: qualifiedName(cur) }
    }
    return { kind: 'no-change', what: `DROP ${cur.peekText()}` }
  }
  if (cur.word('RENAME')) throw new Unsupported('RENAME TABLE is not carried to StarRocks')
  throw new Unsupported(`a ${cur.peekText() || 'empty'} statement is not a schema change K2S reads`)
}

function alterSpec(cur: Cursor, changes: ColumnChange[]): void {
  const first = cur.peekText().toUpperCase()
  if (cur.word('ADD')) {
    if (cur.word('COLUMN')) {
      if (cur.punct('(')) return addList(cur, changes)
      changes.push({ kind: 'add', column: columnDefinition(cur) })
      return
    }
    if (cur.punct('(')) return addList(cur, changes)
    if (cur.word('CONSTRAINT')) {
      if (!cur.isWord('PRIMARY') && !cur.isWord('UNIQUE') && !cur.isWord('FOREIGN') && !cur.isWord('CHECK')) cur.next()
    }
    if (cur.isWord('PRIMARY')) throw new Unsupported('ADD PRIMARY KEY changes the key')
    if (cur.peek()?.kind === 'word' && (indexWords.has(cur.peekText().toUpperCase()) || cur.isWord('PARTITION'))) return
    changes.push({ kind: 'add', column: columnDefinition(cur) })
    return
  }
  if (cur.word('DROP')) {
    if (cur.word('PRIMARY')) throw new Unsupported('DROP PRIMARY KEY changes the key')
    if (cur.word('COLUMN')) {
      changes.push({ kind: 'drop', name: cur.ident() })
      return expectEnd(cur)
    }
    if (cur.peek()?.kind === 'word' && (indexWords.has(cur.peekText().toUpperCase()) || cur.isWord('CONSTRAINT') || cur.isWord('PARTITION'))) return
    changes.push({ kind: 'drop', name: cur.ident() })
    return expectEnd(cur)
  }
  if (cur.word('MODIFY')) {
    cur.word('COLUMN')
    changes.push({ kind: 'modify', column: columnDefinition(cur) })
    return
  }
  if (cur.word('CHANGE')) {
    cur.word('COLUMN')
    const from = cur.ident()
    changes.push({ kind: 'change', from, column: columnDefinition(cur) })
    return
  }
  if (cur.word('RENAME')) {
    if (cur.word('COLUMN')) {
      const from = cur.ident()
      cur.expectWord('TO')
      changes.push({ kind: 'rename', from, to: cur.ident() })
      return expectEnd(cur)
    }
    if (cur.word('INDEX') || cur.word('KEY')) return
    throw new Unsupported('ALTER TABLE … RENAME TO renames the table')
  }
  if (cur.word('ALTER')) {
    // SET/DROP DEFAULT, VISIBLE/INVISIBLE, ALTER INDEX, ALTER CHECK: canal sends every value of
    // every row, so defaults and visibility change nothing K2S loads.
    return
  }
  if (tableOptions.has(first)) return
  throw new Unsupported(`cannot read the clause "${cur.text()}"`)
}

function addList(cur: Cursor, changes: ColumnChange[]): void {
  for (const part of new Cursor(cur.group()).splitTopLevel()) changes.push({ kind: 'add', column: columnDefinition(new Cursor(part)) })
}

function expectEnd(cur: Cursor): void {
  if (!cur.done) throw new Unsupported(`cannot read "${cur.text()}"`)
}

function qualifiedName(cur: Cursor): string {
  const first = cur.ident()
  return cur.punct('.') ? cur.ident() : first
}

/** `(a, b(10) DESC, …)` of a key: the column names. */
function keyParts(cur: Cursor): string[] {
  if (cur.word('USING')) cur.next()
  cur.expectPunct('(')
  return new Cursor(cur.group()).splitTopLevel().map((part) => new Cursor(part).ident())
}

function columnDefinition(cur: Cursor): MysqlColumn {
  const name = cur.ident()
  const type = columnType(cur)
  const column: MysqlColumn = { name, type, nullable: true, defaultValue: null, primaryKey: false }
  while (!cur.done) {
    if (cur.word('NOT')) {
      cur.expectWord('NULL')
      column.nullable = false
    } else if (cur.word('NULL')) {
      column.nullable = true
    } else if (cur.word('DEFAULT')) {
      column.defaultValue = defaultValue(cur)
    } else if (cur.word('PRIMARY')) {
      cur.expectWord('KEY')
      column.primaryKey = true
    } else if (cur.word('KEY')) {
      // A bare KEY on a column is PRIMARY KEY in MySQL's grammar.
      column.primaryKey = true
    } else if (cur.word('COMMENT') || cur.word('COLLATE') || cur.word('COLUMN_FORMAT') || cur.word('STORAGE') || cur.word('SRID') || cur.word('CHARSET')) {
      cur.next()
    } else if (cur.word('CHARACTER')) {
      cur.expectWord('SET')
      cur.next()
    } else if (cur.word('ON')) {
      cur.expectWord('UPDATE')
      cur.next()
      if (cur.punct('(')) cur.group()
    } else if (cur.word('GENERATED') || cur.word('AS')) {
      throw new Unsupported(`generated column ${name} is not carried to StarRocks`)
    } else if (cur.word('UNIQUE')) {
      cur.word('KEY')
    } else if (cur.word('AUTO_INCREMENT') || cur.word('VISIBLE') || cur.word('INVISIBLE') || cur.word('FIRST')) {
      // Positions do not matter: rows are matched to columns by name.
    } else if (cur.word('AFTER')) {
      cur.ident()
    } else if (cur.word('CHECK')) {
      cur.expectPunct('(')
      cur.group()
    } else {
      throw new Unsupported(`cannot read "${cur.text()}" in the definition of column ${name}`)
    }
  }
  return column
}

function columnType(cur: Cursor): MysqlType {
  const token = cur.next()
  if (token?.kind !== 'word') throw new Unsupported(`expected a column type, found "${token?.text ?? 'the end'}"`)
  let name = token.text.toUpperCase()
  // Two-word spellings.
  if (name === 'DOUBLE') cur.word('PRECISION')
  if (name === 'NATIONAL') name = cur.next()!.text.toUpperCase()
  if ((name === 'CHARACTER' || name === 'CHAR') && cur.word('VARYING')) name = 'VARCHAR'
  if (name === 'LONG' && (cur.word('VARCHAR') || cur.word('VARBINARY'))) name = 'MEDIUMTEXT'
  const type: MysqlType = { name, args: [], members: [], unsigned: false }
  if (cur.punct('(')) {
    for (const part of new Cursor(cur.group()).splitTopLevel()) {
      const t = part[0]
      if (part.length !== 1 || !t) throw new Unsupported(`cannot read the arguments of ${name}`)
      if (t.kind === 'string') type.members.push(t.text)
      else if (t.kind === 'number' && /^\d+$/.test(t.text)) type.args.push(Number(t.text))
      else throw new Unsupported(`cannot read the arguments of ${name}`)
    }
  }
  for (;;) {
    if (cur.word('UNSIGNED')) type.unsigned = true
    else if (cur.word('SIGNED') || cur.word('ZEROFILL') || cur.word('BINARY') || cur.word('ASCII') || cur.word('UNICODE') || cur.word('BYTE')) continue
    else break
  }
  return type
}

function defaultValue(cur: Cursor): string | null | undefined {
  if (cur.word('NULL')) return null
  const negative = cur.punct('-')
  const token = cur.next()
  if (token?.kind === 'string' || token?.kind === 'number') return negative ? `-${token.text}` : token.text
  // CURRENT_TIMESTAMP, (expression), b'1', TRUE: not a plain literal.
  if (token?.kind === 'word' && cur.punct('(')) cur.group()
  if (token?.kind === 'punct' && token.text === '(') cur.group()
  return undefined
}

class Cursor {
  private at = 0
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.at >= this.tokens.length
  }
  peek(): Token | undefined {
    return this.tokens[this.at]
  }
  peekText(): string {
    return this.peek()?.text ?? ''
  }
  next(): Token | undefined {
    return this.tokens[this.at++]
  }
  /** The rest, for messages. */
  text(): string {
    return this.tokens.slice(this.at).map((t) => t.text).join(' ').slice(0, 120)
  }
  isWord(w: string): boolean {
    const t = this.peek()
    return t?.kind === 'word' && t.text.toUpperCase() === w
  }
  word(w: string): boolean {
    if (!this.isWord(w)) return false
    this.at++
    return true
  }
  expectWord(w: string): this {
    if (!this.word(w)) throw new Unsupported(`expected ${w}, found "${this.peekText()}"`)
    return this
  }
  punct(p: string): boolean {
    const t = this.peek()
    if (t?.kind !== 'punct' || t.text !== p) return false
    this.at++
    return true
  }
  expectPunct(p: string): void {
    if (!this.punct(p)) throw new Unsupported(`expected "${p}", found "${this.peekText()}"`)
  }
  ident(): string {
    const t = this.next()
    if (t?.kind === 'word' || t?.kind === 'quoted') return t.text
    throw new Unsupported(`expected a name, found "${t?.text ?? 'the end'}"`)
  }
  /** After `(`: the tokens up to the matching `)`, which is consumed. */
  group(): Token[] {
    const start = this.at
    let depth = 1
    while (!this.done) {
      const t = this.next()!
      if (t.kind !== 'punct') continue
      if (t.text === '(') depth++
      else if (t.text === ')' && --depth === 0) return this.tokens.slice(start, this.at - 1)
    }
    throw new Unsupported('unbalanced parentheses')
  }
  /** The rest split at commas outside parentheses. */
  splitTopLevel(): Token[][] {
    const parts: Token[][] = [[]]
    let depth = 0
    while (!this.done) {
      const t = this.next()!
      if (t.kind === 'punct' && t.text === '(') depth++
      if (t.kind === 'punct' && t.text === ')') depth--
      if (t.kind === 'punct' && t.text === ',' && depth === 0) parts.push([])
      else parts.at(-1)!.push(t)
    }
    return parts.filter((p) => p.length > 0)
  }
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      if (end < 0) throw new Error('an unterminated /* comment */')
      i = end + 2
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]!)))) {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? n : end + 1
    } else if (c === '`') {
      let text = ''
      let j = i + 1
      for (;;) {
        if (j >= n) throw new Error('an unterminated `name`')
        if (sql[j] === '`') {
          if (sql[j + 1] === '`') {
            text += '`'
            j += 2
            continue
          }
          break
        }
        text += sql[j++]
      }
      tokens.push({ kind: 'quoted', text })
      i = j + 1
    } else if (c === "'" || c === '"') {
      let text = ''
      let j = i + 1
      for (;;) {
        if (j >= n) throw new Error('an unterminated string')
        const s = sql[j]!
        if (s === '\\' && j + 1 < n) {
          text += unescape(sql[j + 1]!)
          j += 2
          continue
        }
        if (s === c) {
          if (sql[j + 1] === c) {
            text += c
            j += 2
            continue
          }
          break
        }
        text += s
        j++
      }
      tokens.push({ kind: 'string', text })
      i = j + 1
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|^[0-9]+/.exec(sql.slice(i))!
      // 1e3abc or 123abc is a name in MySQL (names may start with digits).
      const word = /^[0-9A-Za-z_$]+/.exec(sql.slice(i))![0]
      if (word.length > m[0].length && /[A-Za-z_$]/.test(word)) {
        tokens.push({ kind: 'word', text: word })
        i += word.length
      } else {
        tokens.push({ kind: 'number', text: m[0] })
        i += m[0].length
      }
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      const word = /^[0-9A-Za-z_$\u0080-\uffff]+/.exec(sql.slice(i))![0]
      tokens.push({ kind: 'word', text: word })
      i += word.length
    } else {
      tokens.push({ kind: 'punct', text: c })
      i++
    }
  }
  return tokens
}

function unescape(c: string): string {
  switch (c) {
    case 'n':
      return '\n'
    case 't':
      return '\t'
    case 'r':
      return '\r'
    case '0':
      return '\0'
    default:
      return c
  }
}
