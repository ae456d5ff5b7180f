import type { TargetColumn } from '../starrocks/starrocks-schema.ts'

/**
 * What a canal value becomes in its StarRocks column (docs/types.md). canal sends every value as
 * a string (cdc-formats.md §A.4); most go as they came, and StarRocks converts them. The rest
 * depend on the source type, which only the message's `mysqlType` tells, and on the target type:
 * - a JSON document into a JSON column goes as the document, not as a string holding it;
 * - binary (canal: one ISO-8859-1 character per byte) into VARBINARY goes as its exact bytes,
 *   base64 under a key of its own that the load's `columns` header decodes with from_base64();
 *   into a string column as upper-case hex (what MySQL's HEX() shows; unhex() gives the bytes);
 * - ENUM and SET (canal: the index, the bitmask) into a string column go as their labels;
 * - a zero date (`0000-00-00…`) into DATE/DATETIME is NULL, counted; StarRocks has no zero date.
 * A value K2S cannot convert (an ENUM index past the members, a JSON column whose text is not a
 * document) refuses its row, which is quarantined with the reason.
 *
 * Maxwell types no column but JSON: it renders every BLOB/BINARY value as base64 text, which its
 * events say (`binaryRendering`). Into VARBINARY such a value is taken as that base64 (the bytes
 * MySQL had); a value that is not strict base64 refuses its row. Into any other column it goes as sent.
 */
export type SourceType =
  | { kind: 'json' | 'binary' | 'other' }
  | { kind: 'enum' | 'set'; members: string[] }

export type TargetKind = 'json' | 'varbinary' | 'string' | 'date' | 'other'

/** A value's JSON text as written into the body, or why its row is refused (with its message code). */
export type Written = { json: string } | Refusal

export type Refusal = { refused: string; code: string; params: Record<string, string | number> }

/** null: the value goes as canal wrote it. */
export type ValueConversion = ((value: string) => Written) | null

/** How a format renders a binary value whose column it does not type (Maxwell: base64); see RowEvent. */
export type BinaryRendering = 'base64'

const binaryType = /^(?:(?:tiny|medium|long)?blob|(?:var)?binary|geometry|geomcollection|geometrycollection|point|linestring|polygon|multipoint|multilinestring|multipolygon)\b/

export function sourceTypeOf(mysqlType: string | undefined): SourceType | null {
  if (mysqlType === undefined) return null
  const text = mysqlType.trim().toLowerCase()
  if (text === 'json') return { kind: 'json' }
  if (binaryType.test(text)) return { kind: 'binary' }
  const list = /^(enum|set)\s*\((.*)\)$/s.exec(mysqlType.trim())
  if (list) return { kind: list[1]!.toLowerCase() as 'enum' | 'set', members: quotedMembers(list[2]!) }
  return { kind: 'other' }
}

export function targetKindOf(column: TargetColumn): TargetKind {
  switch (column.dataType.toLowerCase()) {
    case 'json':
      return 'json'
    case 'varbinary':
    case 'binary':
      return 'varbinary'
    case 'char':
    case 'varchar':
    case 'string':
      return 'string'
    case 'date':
    case 'datetime':
      return 'date'
    default:
      return 'other'
  }
}

/**
 * How a source column's values go into a target column; `source` null when the message does not
 * say (hand-made messages without `mysqlType`, Maxwell's non-JSON columns): then a JSON column
 * still takes a text that is a JSON object or array as that document, and a VARBINARY column takes
 * the value as the format renders binary (`rendering`: Maxwell's base64), else as its UTF-8 bytes.
 */
export function valueConversion(source: SourceType | null, target: TargetKind, rendering?: BinaryRendering): ValueConversion {
  switch (target) {
    case 'json':
      if (source?.kind === 'json') return jsonDocument
      return source === null ? documentIfObject : null
    case 'varbinary':
      if (source?.kind === 'binary') return (v) => ({ json: quote(Buffer.from(v, 'latin1').toString('base64')) })
      if (source === null && rendering === 'base64') return base64Bytes
      return (v) => ({ json: quote(Buffer.from(v, 'utf8').toString('base64')) })
    case 'string':
      if (source?.kind === 'binary') return (v) => ({ json: quote(Buffer.from(v, 'latin1').toString('hex').toUpperCase()) })
      if (source?.kind === 'enum') return enumLabel(source.members)
      if (source?.kind === 'set') return setLabels(source.members)
      return null
    case 'date':
      return zeroDateAsNull
    case 'other':
      return null
  }
}

/** The key a VARBINARY column's base64 travels under; the `columns` header maps it back. */
export function binaryKey(column: string): string {
  return `__k2s_b64_${column}`
}

/**
 * The `columns` header of a table with VARBINARY columns: every column by its own name, except
 * those, which are decoded from their base64 key (reference §2.1: names are back-quoted).
 */
export function binaryColumnsHeader(columns: TargetColumn[], primaryKey: boolean): string | undefined {
  const binary = columns.filter((c) => targetKindOf(c) === 'varbinary')
  if (binary.length === 0) return undefined
  const names = columns.map((c) => q(targetKindOf(c) === 'varbinary' ? binaryKey(c.name) : c.name))
  if (primaryKey) names.push(q('__op'))
  return [...names, ...binary.map((c) => `${q(c.name)}=from_base64(${q(binaryKey(c.name))})`)].join(',')
}

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``
const quote = (text: string) => JSON.stringify(text)

export const isZeroDate = (v: string): boolean => /^0000-00-00(?: 00:00:00(?:\.0+)?)?$/.test(v)

/** Marks the JSON `null` a zero date became, so the row builder can count it. */
export const zeroDateNull: Written = { json: 'null' }

function zeroDateAsNull(v: string): Written {
  return isZeroDate(v) ? zeroDateNull : { json: quote(v) }
}

const shownValue = (v: string) => (v.length > 80 ? `${v.slice(0, 80)}…` : v)

// RFC 4648 §4: the standard alphabet, padded to a multiple of 4; no line breaks, no URL-safe letters.
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Maxwell's base64 of a binary value: it already is what the load's from_base64() decodes, so it
 * goes as it came. Anything else (a text column mapped to VARBINARY, Maxwell's WKT of a geometry)
 * would have to be guessed at: its row is refused rather than stored as other bytes.
 */
function base64Bytes(v: string): Written {
  // Decoding and encoding again gives the same text only when the unused bits are zero ("AB==" does not).
  if (base64Text.test(v) && Buffer.from(v, 'base64').toString('base64') === v) return { json: quote(v) }
  const shown = shownValue(v)
  return { refused: `the Maxwell value is not base64 (how Maxwell sends binary values), so it cannot go into VARBINARY: ${shown}`, code: 'quarantine.notBase64', params: { value: shown } }
}

function jsonDocument(v: string): Written {
  try {
    JSON.parse(v)
  } catch {
    // canal sends a JSON_REPLACE(...) diff under binlog_row_value_options=PARTIAL_JSON (§A.4).
    const shown = shownValue(v)
    return { refused: `the MySQL json value is not a JSON document: ${shown}`, code: 'quarantine.notJsonDocument', params: { value: shown } }
  }
  // canal's text is MySQL's own rendering; it goes as it is, so big numbers keep their digits.
  return { json: v }
}

function documentIfObject(v: string): Written {
  const first = v.trimStart()[0]
  if (first !== '{' && first !== '[') return { json: quote(v) }
  try {
    JSON.parse(v)
    return { json: v }
  } catch {
    return { json: quote(v) }
  }
}

function enumLabel(members: string[]): ValueConversion {
  return (v) => {
    if (!/^\d+$/.test(v)) return { json: quote(v) }
    const index = Number(v)
    // 0 is MySQL's "invalid value" member, the empty string.
    if (index === 0) return { json: '""' }
    const label = members[index - 1]
    if (label !== undefined) return { json: quote(label) }
    return { refused: `ENUM index ${v} is past the ${members.length} members of the column`, code: 'quarantine.enumIndex', params: { index: v, members: members.length } }
  }
}

function setLabels(members: string[]): ValueConversion {
  return (v) => {
    if (!/^\d+$/.test(v)) return { json: quote(v) }
    let bits = BigInt(v)
    const labels: string[] = []
    for (let i = 0; bits > 0n; i++, bits >>= 1n) {
      if ((bits & 1n) === 0n) continue
      const label = members[i]
      if (label === undefined) return { refused: `SET value ${v} has bit ${i}, past the ${members.length} members of the column`, code: 'quarantine.setBit', params: { value: v, bit: i, members: members.length } }
      labels.push(label)
    }
    return { json: quote(labels.join(',')) }
  }
}

/** `'a','b','it''s'` → a, b, it's (MySQL doubles a quote inside a member; canal keeps that). */
function quotedMembers(list: string): string[] {
  const members: string[] = []
  const re = /'((?:[^'\\]|''|\\.)*)'/g
  for (let m = re.exec(list); m; m = re.exec(list)) members.push(m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1'))
  return members
}
