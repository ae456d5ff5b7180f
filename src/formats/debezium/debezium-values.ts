import { isJsonNumber, numberText, type JsonValue } from '../lossless-json.ts'
import { isObject, mysqlJsonText, valueText } from '../value-text.ts'

/**
 * Debezium's encodings of MySQL values (cdc-formats.md §B.2) back into the text MySQL shows and
 * StarRocks parses: epoch days and micros into DATE and DATETIME, base64 decimals with the scale
 * from the schema, UTC ZonedTimestamps into the instance's time zone, little-endian BIT bytes into
 * the number, binary into the bytes canal would send. Only the `schema` envelope says which column
 * holds which encoding; without it values are taken as plain JSON (valueText).
 */
export type FieldSchema = { type?: string; name?: string; parameters?: Record<string, string> }

export type ValueRenderer = (v: JsonValue) => string | null

export class DebeziumValueError extends Error {}

/** The renderer of one column, chosen once per message from its field schema. */
export function rendererFor(field: FieldSchema | undefined, timeZone: string): ValueRenderer {
  if (!field) return valueText
  switch (field.name) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const scale = Number(field.parameters?.scale ?? 0)
      return nullable((v) => (typeof v === 'string' ? decimalText(base64Bytes(v), scale) : numeric(v)))
    }
    case 'io.debezium.data.VariableScaleDecimal':
      return nullable((v) => {
        if (!isObject(v) || typeof v.value !== 'string' || !isJsonNumber(v.scale)) throw new DebeziumValueError('a VariableScaleDecimal needs "scale" and "value"')
        return decimalText(base64Bytes(v.value), Number(numberText(v.scale)))
      })
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return nullable((v) => dateText(integer(v)))
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return nullable((v) => dateTimeText(integer(v) * 1000n))
    case 'io.debezium.time.MicroTimestamp':
      return nullable((v) => dateTimeText(integer(v)))
    case 'io.debezium.time.NanoTimestamp':
      return nullable((v) => dateTimeText(integer(v) / 1000n))
    case 'io.debezium.time.ZonedTimestamp':
      return nullable((v) => zonedText(text(v), timeZone))
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return nullable((v) => timeText(integer(v) * 1000n))
    case 'io.debezium.time.MicroTime':
      return nullable((v) => timeText(integer(v)))
    case 'io.debezium.time.NanoTime':
      return nullable((v) => timeText(integer(v) / 1000n))
    case 'io.debezium.data.Bits':
      return nullable((v) => littleEndianUnsigned(base64Bytes(text(v))).toString())
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Point':
      return nullable(geometryText)
  }
  switch (field.type) {
    case 'bytes':
      // canal's rendering of BINARY and BLOB: one char per byte, which the body writes as UTF-8.
      return nullable((v) => base64Bytes(text(v)).toString('latin1'))
    case 'struct':
    case 'array':
    case 'map':
      return nullable(mysqlJsonText)
  }
  return valueText
}

function nullable(render: (v: JsonValue) => string): ValueRenderer {
  return (v) => (v === null ? null : render(v))
}

function text(v: JsonValue): string {
  if (typeof v !== 'string') throw new DebeziumValueError(`expected a string, got ${mysqlJsonText(v)}`)
  return v
}

function numeric(v: JsonValue): string {
  if (!isJsonNumber(v)) throw new DebeziumValueError(`expected a number, got ${mysqlJsonText(v)}`)
  return numberText(v)
}

function integer(v: JsonValue): bigint {
  const t = numeric(v)
  if (!/^-?\d+$/.test(t)) throw new DebeziumValueError(`expected an integer, got ${t}`)
  return BigInt(t)
}

const base64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function base64Bytes(v: string): Buffer {
  if (v.length % 4 === 1 || !base64.test(v)) throw new DebeziumValueError(`not base64: ${JSON.stringify(v.slice(0, 40))}`)
  return Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64')
}

/** Kafka Connect's Decimal: the unscaled value as big-endian two's complement. */
export function decimalText(bytes: Buffer, scale: number): string {
  if (!Number.isInteger(scale) || scale < 0 || scale > 65) throw new DebeziumValueError(`decimal scale ${scale} is not 0..65`)
  let unscaled = bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`)
  if (bytes.length > 0 && bytes[0]! >= 0x80) unscaled -= 1n << BigInt(bytes.length * 8)
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  return negative ? `-${whole}` : whole
}

function littleEndianUnsigned(bytes: Buffer): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

const dayMs = 86_400_000

function dateText(days: bigint): string {
  return new Date(Number(days) * dayMs).toISOString().slice(0, 10)
}

/** Debezium writes DATETIME as if its wall clock were UTC: formatting in UTC gives it back. */
function dateTimeText(micros: bigint): string {
  const ms = floorDiv(micros, 1000n)
  const iso = new Date(Number(ms)).toISOString()
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fractionText(fraction)}`
}

/** MySQL TIME runs from -838:59:59 to 838:59:59: hours are not a clock's. */
function timeText(micros: bigint): string {
  const negative = micros < 0n
  let rest = negative ? -micros : micros
  const fraction = rest % 1_000_000n
  rest /= 1_000_000n
  const pad = (n: bigint) => n.toString().padStart(2, '0')
  return `${negative ? '-' : ''}${pad(rest / 3600n)}:${pad((rest / 60n) % 60n)}:${pad(rest % 60n)}${fractionText(fraction)}`
}

function fractionText(micros: bigint): string {
  return micros === 0n ? '' : `.${micros.toString().padStart(6, '0').replace(/0+$/, '')}`
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n ? q - 1n : q
}

const zoned = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/** A TIMESTAMP: Debezium sends the instant in UTC; StarRocks' DATETIME wants a wall clock. */
function zonedText(iso: string, timeZone: string): string {
  const m = zoned.exec(iso)
  if (!m) throw new DebeziumValueError(`not an ISO-8601 timestamp: ${JSON.stringify(iso.slice(0, 40))}`)
  const [, date, time, digits = '', zone] = m
  const fraction = BigInt(digits.slice(0, 6).padEnd(6, '0') || '0')
  if (zone === 'Z' && timeZone === 'UTC') return `${date} ${time}${fractionText(fraction)}`
  const instant = Date.parse(`${date}T${time}${zone}`)
  const wall = instant + zoneOffsetMs(instant, timeZone)
  return dateTimeText(BigInt(wall) * 1000n + fraction)
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>()

/** How far the zone's wall clock is ahead of UTC at that instant (daylight saving included). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  let format = zoneFormats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    zoneFormats.set(timeZone, format)
  }
  const parts: Record<string, number> = {}
  for (const p of format.formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
  return wall - (instant - (((instant % 1000) + 1000) % 1000))
}

/** canal's rendering of a geometry: the 4-byte little-endian SRID, then the WKB, one char per byte. */
function geometryText(v: JsonValue): string {
  if (!isObject(v) || typeof v.wkb !== 'string') throw new DebeziumValueError('a geometry needs "wkb"')
  const srid = Buffer.alloc(4)
  srid.writeUInt32LE(isJsonNumber(v.srid) ? Number(numberText(v.srid)) : 0)
  return Buffer.concat([srid, base64Bytes(v.wkb)]).toString('latin1')
}
