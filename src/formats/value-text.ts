import { isJsonNumber, numberText, type JsonValue } from './lossless-json.ts'

/**
 * Plain JSON values as the text StarRocks parses, for formats that send typed JSON (Debezium
 * without a schema, Maxwell): numbers keep every digit, booleans are 1/0 as MySQL stores BIT(1)
 * and BOOLEAN, and a JSON document is written the way MySQL prints it, as canal sends it.
 */
export function valueText(v: JsonValue): string | null {
  if (v === null) return null
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (isJsonNumber(v)) return numberText(v)
  return mysqlJsonText(v)
}

/** MySQL's JSON text: `{"a": 1, "b": [1, 2]}`, with ", " and ": " separators; numbers as sent. */
export function mysqlJsonText(v: JsonValue): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (isJsonNumber(v)) return numberText(v)
  if (Array.isArray(v)) return `[${v.map(mysqlJsonText).join(', ')}]`
  return `{${Object.entries(v).map(([k, item]) => `${JSON.stringify(k)}: ${mysqlJsonText(item)}`).join(', ')}}`
}

export function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isJsonNumber(v)
}
