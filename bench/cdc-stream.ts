import { debezium, debeziumKey, maxwell, maxwellKey, type Columns } from '../test/harness/cdc-fixtures.ts'
import type { TestMessage } from '../test/harness/kafka-helpers.ts'
import { benchColumns, canalMessages, sourceDatabase } from './canal-stream.ts'

/**
 * The canal benchmark stream's rows, as Debezium (JSON converter with its schema, the default:
 * precise decimals, DATETIME as epoch ms, a tombstone after each delete) or Maxwell would send
 * them: one record per row, keyed by the row's primary key, in the same partitions. The same rows
 * in every format, so the cost per row of each is on record.
 */
const kinds: Record<string, Columns[string]> = {
  'bigint(20)': { kind: 'bigint' },
  'int(11)': { kind: 'bigint' },
  'decimal(12,2)': { kind: 'decimal', scale: 2 },
  'decimal(10,2)': { kind: 'decimal', scale: 2 },
  datetime: { kind: 'datetime', fsp: 0 },
}
const columns: Columns = Object.fromEntries(benchColumns.map(([name, mysqlType]) => [name, kinds[mysqlType] ?? { kind: 'varchar' }]))

export type CdcFormat = 'debezium' | 'maxwell'

export type CdcStream = { messages: TestMessage[]; rows: number; bytes: number }

export function cdcStream(format: CdcFormat, opts: { rows: number; partitions: number; tables: number; seed?: number }): CdcStream {
  const messages: TestMessage[] = []
  let rows = 0
  let bytes = 0
  const add = (m: TestMessage) => {
    messages.push(m)
    bytes += Buffer.byteLength((m.value as string | null) ?? '') + Buffer.byteLength(m.key ?? '')
  }
  for (const m of canalMessages(opts)) {
    const canal = JSON.parse(m.value) as { data: Record<string, string | null>[]; old: Record<string, string | null>[] | null; es: number; type: 'INSERT' | 'UPDATE' | 'DELETE' }
    canal.data.forEach((row, i) => {
      rows++
      const before = canal.type === 'UPDATE' ? { ...row, ...canal.old![i] } : canal.type === 'DELETE' ? row : null
      const after = canal.type === 'DELETE' ? null : row
      if (format === 'maxwell') {
        const type = canal.type.toLowerCase()
        add({ partition: m.partition, key: maxwellKey(sourceDatabase, m.table, { id: row.id! }), value: maxwell({ type, database: sourceDatabase, table: m.table, data: row, old: canal.type === 'UPDATE' ? canal.old![i] : undefined, ts: canal.es / 1000, xid: canal.es }, columns) })
        return
      }
      const op = canal.type === 'INSERT' ? 'c' : canal.type === 'UPDATE' ? 'u' : 'd'
      const key = debeziumKey({ id: row.id! }, columns, { schema: true })
      add({ partition: m.partition, key, value: debezium({ op, db: sourceDatabase, table: m.table, before, after, tsMs: canal.es }, columns, { schema: true }) })
      if (op === 'd') add({ partition: m.partition, key, value: null })
    })
  }
  return { messages, rows, bytes }
}
