import { canalEventTime, canalRowCount, decodeCanalMessage } from './canal/canal-message.ts'
import { debeziumEventTime, decodeDebeziumMessage } from './debezium/debezium-message.ts'
import { decodeMaxwellMessage, maxwellEventTime } from './maxwell/maxwell-message.ts'
import type { ChangeEvent, SourceRecord } from './row-event.ts'

/**
 * The change-data formats an instance can read (its `format` field), and what the fetcher and the
 * loader need of each: decode a record into row events, count its rows to cut batches, read its
 * binlog time for the lag.
 */
export const changeFormats = ['canal', 'debezium', 'maxwell'] as const
export type ChangeFormat = (typeof changeFormats)[number]

export type FormatOptions = { timeZone: string }

export type FormatReader = {
  decode(record: SourceRecord): ChangeEvent
  /** Rows a raw message holds, for commitBatch; anything that is not a row event counts as one. */
  rowCount(value: Buffer | null): number
  /** Binlog time in ms, null when the message has none. */
  eventTime(value: Buffer | null): number | null
}

// Debezium and Maxwell send one row per message: no need to look inside to count.
const oneRow = () => 1

export function formatReader(format: ChangeFormat, opts: FormatOptions): FormatReader {
  switch (format) {
    case 'canal':
      return { decode: (r) => decodeCanalMessage(r.value), rowCount: canalRowCount, eventTime: canalEventTime }
    case 'debezium':
      return { decode: (r) => decodeDebeziumMessage(r, opts), rowCount: oneRow, eventTime: debeziumEventTime }
    case 'maxwell':
      return { decode: decodeMaxwellMessage, rowCount: oneRow, eventTime: maxwellEventTime }
  }
}

const maxwellTypes = /^(insert|update|delete|bootstrap-(start|insert|complete)|table-\w+|database-\w+)$/

/**
 * Which format a pasted message looks like, by the fields each tool always writes; null when
 * none fits (a flattened Debezium row without added fields is just a row).
 */
export function detectFormat(message: string): ChangeFormat | null {
  let m: unknown
  try {
    m = JSON.parse(message)
  } catch {
    return null
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null
  const o = m as Record<string, unknown>
  if (typeof o.type === 'string' && ('isDdl' in o || 'pkNames' in o || 'sqlType' in o || 'es' in o) && /^[A-Z]+$/.test(o.type)) return 'canal'
  if (typeof o.type === 'string' && maxwellTypes.test(o.type) && 'database' in o) return 'maxwell'
  const payload = 'payload' in o && 'schema' in o ? o.payload : o
  if (typeof payload === 'object' && payload !== null) {
    const p = payload as Record<string, unknown>
    if (typeof p.op === 'string' && typeof p.source === 'object') return 'debezium'
    if ('__deleted' in p || '__op' in p || ('ddl' in p && 'databaseName' in p)) return 'debezium'
  }
  return null
}
