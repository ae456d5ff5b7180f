import { isAscii, isUtf8 } from 'node:buffer'
import { classifyCanalHeader } from './canal-message.ts'
import { backslash, closeBrace, closeBracket, colon, comma, minus, openBrace, openBracket, quote } from './json-bytes.ts'

/**
 * A canal row event read without JSON.parse, for the loader's fast path (canal-fast-rows.ts): one
 * pass validates the whole message as strictly as JSON.parse and records where each row's keys and
 * values sit, into a typed array the scanner reuses, so no object is built per row or value.
 * Anything the fast path does not need to understand is declined (null) and left to
 * decodeCanalMessage, the reference: escaped keys or header strings, rows that are not flat objects
 * of strings and nulls, duplicate header fields, deep nesting, and every message that is not a
 * plain row event.
 */
export type CanalScan = {
  value: Buffer
  /** Every byte is ASCII: byte offsets are string offsets, and latin1 decodes any slice. */
  ascii: boolean
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  database: string
  table: string
  es: number
  /** Rows of `data`, and where the first one starts in `layout`. */
  rows: number
  dataAt: number
  /** Rows of `old` when it is an array (0 otherwise), and where the first one starts in `layout`. */
  oldRows: number
  oldAt: number
  /**
   * Per row: the offset of `{`, the offset of `}`, the key count; then per key: the key's first
   * byte and its closing quote, the value's first byte and one past its last (a string with its
   * quotes, or `null`), and a slot the projection fills with the key's column id.
   */
  layout: Int32Array
}

export const rowHeader = 3
export const keyFields = 5

export type CanalScanner = (value: Buffer | null) => CanalScan | null

/** One scanner per job: a scan's layout is only valid until the scanner reads the next message. */
export function canalScanner(): CanalScanner {
  const state: ScanState = { layout: new Int32Array(4096), at: 0, rowsEnd: 0 }
  return (value) => (value === null ? null : scan(value, state))
}

type ScanState = { layout: Int32Array; at: number; rowsEnd: number }

const maxDepth = 64
// Top-level fields the fast path reads; each may appear once.
const fieldNames = ['data', 'database', 'es', 'isDdl', 'old', 'table', 'type'] as const
const fieldBytes = fieldNames.map((name) => Buffer.from(name, 'latin1'))
const [data, database, es, isDdl, old, table, type] = [0, 1, 2, 3, 4, 5, 6]

function scan(b: Buffer, state: ScanState): CanalScan | null {
  const ascii = isAscii(b)
  if (!ascii && !isUtf8(b)) return null
  const n = b.length
  state.at = 0
  // Where each field's value starts and ends; -1 for a field not seen.
  const starts = [-1, -1, -1, -1, -1, -1, -1]
  const ends = [-1, -1, -1, -1, -1, -1, -1]
  let rows = -1
  let dataAt = 0
  let oldRows = 0
  let oldAt = 0
  let i = skipWs(b, 0, n)
  if (b[i] !== openBrace) return null
  i = skipWs(b, i + 1, n)
  if (b[i] === closeBrace) return null
  for (;;) {
    if (b[i] !== quote) return null
    const keyEnd = plainStringEnd(b, i + 1, n)
    if (keyEnd < 0) return null
    const field = fieldOf(b, i + 1, keyEnd)
    i = skipWs(b, keyEnd + 1, n)
    if (b[i] !== colon) return null
    i = skipWs(b, i + 1, n)
    if (field >= 0 && starts[field]! >= 0) return null
    const start = i
    if (field === data) {
      if (b[i] !== openBracket) return null
      dataAt = state.at
      rows = countedRows(b, i, n, state)
      i = state.rowsEnd
    } else if (field === old && b[i] === openBracket) {
      oldAt = state.at
      oldRows = countedRows(b, i, n, state)
      i = state.rowsEnd
    } else if (field === database || field === table || field === type) {
      if (b[i] !== quote) return null
      i = plainStringEnd(b, i + 1, n) + 1
    } else {
      i = valueEnd(b, i, n, 0)
    }
    if (i <= 0) return null
    if (field >= 0) {
      starts[field] = start
      ends[field] = i
    }
    i = skipWs(b, i, n)
    if (b[i] === comma) i = skipWs(b, i + 1, n)
    else if (b[i] === closeBrace) break
    else return null
  }
  if (skipWs(b, i + 1, n) !== n) return null
  if (rows < 0 || starts[type]! < 0 || starts[database]! < 0 || starts[table]! < 0) return null

  const text = (f: number) => b.toString(ascii ? 'latin1' : 'utf8', starts[f]! + 1, ends[f]! - 1)
  const first = (f: number) => (starts[f]! < 0 ? -1 : b[starts[f]!]!)
  const header = { type: text(type), database: text(database), table: text(table), isDdl: first(isDdl) === 0x74, hasData: true, sql: undefined }
  if (classifyCanalHeader(header)) return null
  // decodeCanalMessage reads `old` on UPDATEs only: null, absent, or an array lined up with `data`.
  const oldKind = first(old)
  if (header.type === 'UPDATE' && oldKind !== -1 && oldKind !== 0x6e && (oldKind !== openBracket || (oldRows !== 0 && oldRows !== rows))) return null
  const esFirst = first(es)
  return {
    value: b,
    ascii,
    type: header.type as CanalScan['type'],
    database: header.database,
    table: header.table,
    es: esFirst === minus || isDigit(esFirst) ? Number(b.toString('latin1', starts[es], ends[es])) : 0,
    rows,
    dataAt,
    oldRows: oldKind === openBracket ? oldRows : 0,
    oldAt,
    layout: state.layout,
  }
}

function fieldOf(b: Buffer, start: number, end: number): number {
  for (let f = 0; f < fieldBytes.length; f++) {
    const name = fieldBytes[f]!
    if (name.length !== end - start) continue
    let j = 0
    while (j < name.length && name[j] === b[start + j]) j++
    if (j === name.length) return f
  }
  return -1
}

/**
 * Records an array of flat row objects into the layout; returns the row count and leaves the
 * offset past `]` in state.rowsEnd, or -1 when the array is anything else.
 */
function countedRows(b: Buffer, i: number, n: number, state: ScanState): number {
  state.rowsEnd = -1
  let rows = 0
  i = skipWs(b, i + 1, n)
  if (b[i] === closeBracket) {
    state.rowsEnd = i + 1
    return 0
  }
  for (;;) {
    if (b[i] !== openBrace) return -1
    reserve(state, rowHeader)
    const header = state.at
    state.at += rowHeader
    state.layout[header] = i
    let keys = 0
    i = skipWs(b, i + 1, n)
    if (b[i] !== closeBrace) {
      for (;;) {
        if (b[i] !== quote) return -1
        const keyStart = i + 1
        const keyEnd = plainStringEnd(b, keyStart, n)
        if (keyEnd < 0) return -1
        i = skipWs(b, keyEnd + 1, n)
        if (b[i] !== colon) return -1
        const valueStart = skipWs(b, i + 1, n)
        let valueEnd: number
        if (b[valueStart] === quote) valueEnd = stringEnd(b, valueStart + 1, n) + 1
        else if (isLiteral(b, valueStart, n, nullBytes)) valueEnd = valueStart + 4
        else return -1
        if (valueEnd <= 0) return -1
        reserve(state, keyFields)
        const layout = state.layout
        const at = state.at
        layout[at] = keyStart
        layout[at + 1] = keyEnd
        layout[at + 2] = valueStart
        layout[at + 3] = valueEnd
        layout[at + 4] = -1
        state.at = at + keyFields
        keys++
        i = skipWs(b, valueEnd, n)
        if (b[i] === comma) i = skipWs(b, i + 1, n)
        else if (b[i] === closeBrace) break
        else return -1
      }
    }
    state.layout[header + 1] = i
    state.layout[header + 2] = keys
    rows++
    i = skipWs(b, i + 1, n)
    if (b[i] === comma) i = skipWs(b, i + 1, n)
    else if (b[i] === closeBracket) break
    else return -1
  }
  state.rowsEnd = i + 1
  return rows
}

function reserve(state: ScanState, ints: number): void {
  if (state.at + ints <= state.layout.length) return
  const grown = new Int32Array(state.layout.length * 2)
  grown.set(state.layout)
  state.layout = grown
}

/** One past any JSON value starting at i, or -1 when there is none that JSON.parse would accept. */
function valueEnd(b: Buffer, i: number, n: number, depth: number): number {
  const c = b[i]
  if (c === quote) {
    const end = stringEnd(b, i + 1, n)
    return end < 0 ? -1 : end + 1
  }
  if (c === openBrace || c === openBracket) return depth >= maxDepth ? -1 : containerEnd(b, i, n, depth + 1)
  if (c === minus || isDigit(c!)) return numberEnd(b, i, n)
  if (c === 0x74) return isLiteral(b, i, n, trueBytes) ? i + 4 : -1
  if (c === 0x66) return isLiteral(b, i, n, falseBytes) ? i + 5 : -1
  if (c === 0x6e) return isLiteral(b, i, n, nullBytes) ? i + 4 : -1
  return -1
}

function containerEnd(b: Buffer, i: number, n: number, depth: number): number {
  const object = b[i] === openBrace
  const close = object ? closeBrace : closeBracket
  i = skipWs(b, i + 1, n)
  if (b[i] === close) return i + 1
  for (;;) {
    if (object) {
      if (b[i] !== quote) return -1
      i = stringEnd(b, i + 1, n)
      if (i < 0) return -1
      i = skipWs(b, i + 1, n)
      if (b[i] !== colon) return -1
      i = skipWs(b, i + 1, n)
    }
    i = valueEnd(b, i, n, depth)
    if (i < 0) return -1
    i = skipWs(b, i, n)
    if (b[i] === comma) i = skipWs(b, i + 1, n)
    else if (b[i] === close) return i + 1
    else return -1
  }
}

function numberEnd(b: Buffer, i: number, n: number): number {
  if (b[i] === minus) i++
  if (b[i] === 0x30) i++
  else if (i < n && b[i]! >= 0x31 && b[i]! <= 0x39) i = digitsEnd(b, i, n)
  else return -1
  if (b[i] === 0x2e) {
    const end = digitsEnd(b, i + 1, n)
    if (end === i + 1) return -1
    i = end
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++
    if (b[i] === 0x2b || b[i] === minus) i++
    const end = digitsEnd(b, i, n)
    if (end === i) return -1
    i = end
  }
  return i
}

function digitsEnd(b: Buffer, i: number, n: number): number {
  while (i < n && isDigit(b[i]!)) i++
  return i
}

/** The offset of the closing quote of a string whose body starts at i, or -1 if it is not valid JSON. */
function stringEnd(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!
    if (c === quote) return i
    if (c === backslash) {
      const e = b[i + 1]
      if (e === 0x75) {
        if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1
        i += 6
      } else if (e === quote || e === backslash || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2
      } else {
        return -1
      }
    } else if (c < 0x20) {
      return -1
    } else {
      i++
    }
  }
  return -1
}

/** Like stringEnd for strings taken as they are (keys, header fields): any escape declines. */
function plainStringEnd(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!
    if (c === quote) return i
    if (c === backslash || c < 0x20) return -1
    i++
  }
  return -1
}

function skipWs(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    i++
  }
  return i
}

function isLiteral(b: Buffer, i: number, n: number, literal: Buffer): boolean {
  if (i + literal.length > n) return false
  for (let j = 0; j < literal.length; j++) if (b[i + j] !== literal[j]) return false
  return true
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)

const trueBytes = Buffer.from('true')
const falseBytes = Buffer.from('false')
const nullBytes = Buffer.from('null')
