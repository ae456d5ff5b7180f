import { isAscii, isUtf8 } from 'node:buffer'
import { classifyCanalHeader } from './canal-message.ts'
import { backslash, closeBrace, closeBracket, colon, comma, minus, openBrace, openBracket, quote } from '../../rows/json-bytes.ts'

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
  /** Where the `mysqlType` value lies in `value` (start, end), -1 when absent. */
  typesAt: number
  typesEnd: number
  /**
   * Per row: the offset of `{`, the offset of `}`, the key count, and 1 when the row's keys are
   * those of the row before in the same array, byte for byte and in order (0 otherwise); then per
   * key: the key's first byte and its closing quote, the value's first byte and one past its last
   * (a string with its quotes, or `null`), and a slot the projection fills with the key's column id.
   */
  layout: Int32Array
}

export const rowHeader = 4
export const keyFields = 5

export type CanalScanner = (value: Buffer | null) => CanalScan | null

/** One scanner per job: a scan's layout is only valid until the scanner reads the next message. */
export function canalScanner(): CanalScanner {
  const state: ScanState = { layout: new Int32Array(4096), at: 0, rowsEnd: 0, starts: new Int32Array(fieldNames.length), ends: new Int32Array(fieldNames.length) }
  return (value) => (value === null ? null : scan(value, state))
}

/** Reused across messages; `starts` and `ends` hold where each top-level field's value lies, -1 when absent. */
type ScanState = { layout: Int32Array; at: number; rowsEnd: number; starts: Int32Array; ends: Int32Array }

const maxDepth = 64
// Top-level fields the fast path reads; each may appear once.
const fieldNames = ['data', 'database', 'es', 'isDdl', 'old', 'table', 'type', 'mysqlType'] as const
const fieldBytes = fieldNames.map((name) => Buffer.from(name, 'latin1'))
const [data, database, es, isDdl, old, table, type, mysqlType] = [0, 1, 2, 3, 4, 5, 6, 7]

function scan(b: Buffer, state: ScanState): CanalScan | null {
  const ascii = isAscii(b)
  if (!ascii && !isUtf8(b)) return null
  const n = b.length
  state.at = 0
  const { starts, ends } = state
  starts.fill(-1)
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

  const encoding = ascii ? 'latin1' : 'utf8'
  const header = {
    type: b.toString(encoding, starts[type]! + 1, ends[type]! - 1),
    database: b.toString(encoding, starts[database]! + 1, ends[database]! - 1),
    table: b.toString(encoding, starts[table]! + 1, ends[table]! - 1),
    isDdl: firstByte(b, starts, isDdl) === 0x74,
    hasData: true,
    sql: undefined,
  }
  if (classifyCanalHeader(header)) return null
  // decodeCanalMessage reads `old` on UPDATEs only: null, absent, or an array lined up with `data`.
  const oldKind = firstByte(b, starts, old)
  if (header.type === 'UPDATE' && oldKind !== -1 && oldKind !== 0x6e && (oldKind !== openBracket || (oldRows !== 0 && oldRows !== rows))) return null
  const esFirst = firstByte(b, starts, es)
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
    typesAt: starts[mysqlType]!,
    typesEnd: starts[mysqlType]! < 0 ? -1 : ends[mysqlType]!,
    layout: state.layout,
  }
}

/** The first byte of a field's value, -1 when the field is absent. */
function firstByte(b: Buffer, starts: Int32Array, field: number): number {
  return starts[field]! < 0 ? -1 : b[starts[field]!]!
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
  // Where the row before starts in the layout, -1 for the first row.
  let previous = -1
  for (;;) {
    if (b[i] !== openBrace) return -1
    reserve(state, rowHeader)
    const header = state.at
    state.at += rowHeader
    state.layout[header] = i
    let keys = 0
    // Rows nearly always repeat the keys of the row before: a key with the same bytes as the one
    // at its place there is checked by that one comparison, and the projection need not look at it.
    const previousKeys = previous < 0 ? 0 : state.layout[previous + 2]!
    let repeated = previous >= 0
    i = skipWs(b, i + 1, n)
    if (b[i] !== closeBrace) {
      for (;;) {
        if (b[i] !== quote) return -1
        const keyStart = i + 1
        let keyEnd = -1
        if (repeated && keys < previousKeys) {
          const above = previous + rowHeader + keys * keyFields
          keyEnd = sameKeyEnd(b, keyStart, n, state.layout[above]!, state.layout[above + 1]!)
        }
        if (keyEnd < 0) {
          repeated = false
          keyEnd = plainStringEnd(b, keyStart, n)
          if (keyEnd < 0) return -1
        }
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
    state.layout[header + 3] = repeated && keys === previousKeys ? 1 : 0
    previous = header
    rows++
    i = skipWs(b, i + 1, n)
    if (b[i] === comma) i = skipWs(b, i + 1, n)
    else if (b[i] === closeBracket) break
    else return -1
  }
  state.rowsEnd = i + 1
  return rows
}

/** The closing quote of a key starting at i whose bytes are those of the key at start..end, else -1. */
function sameKeyEnd(b: Buffer, i: number, n: number, start: number, end: number): number {
  const keyEnd = i + end - start
  if (keyEnd >= n || b[keyEnd] !== quote) return -1
  for (let j = start; j < end; j++, i++) if (b[i] !== b[j]) return -1
  return keyEnd
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
  for (;;) {
    // Most of a message's bytes are plain string text: run past them before anything else.
    while (i < n && plainByte[b[i]!] === 1) i++
    if (i >= n) return -1
    const c = b[i]!
    if (c === quote) return i
    if (c !== backslash) return -1
    const e = b[i + 1]
    if (e === 0x75) {
      if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1
      i += 6
    } else if (e === quote || e === backslash || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2
    } else {
      return -1
    }
  }
}

/** Like stringEnd for strings taken as they are (keys, header fields): any escape declines. */
function plainStringEnd(b: Buffer, i: number, n: number): number {
  while (i < n && plainByte[b[i]!] === 1) i++
  return i < n && b[i] === quote ? i : -1
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

// 1 for a byte that stands for itself in a JSON string; one table load per byte is cheaper than
// testing for `"`, `\\` and control bytes one by one.
const plainByte = new Uint8Array(256).map((_, c) => (c >= 0x20 && c !== quote && c !== backslash ? 1 : 0))

const trueBytes = Buffer.from('true')
const falseBytes = Buffer.from('false')
const nullBytes = Buffer.from('null')
