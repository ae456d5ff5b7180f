import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeCanalMessage } from '../../src/formats/canal/canal-message.ts'
import { canalScanner } from '../../src/formats/canal/canal-scan.ts'
import { formatReader, type ChangeFormat } from '../../src/formats/change-format.ts'
import { mappingRuleSchema, type InstanceConfig, type SchemaChangePolicy } from '../../src/instances/config.ts'
import type { SchemaHold, TableDrift } from '../../src/instances/schema-holds.ts'
import { tableRowsBuilder } from '../../src/rows/row-changes.ts'
import type { RouteTarget } from '../../src/rows/table-mapping.ts'
import type { TargetTable } from '../../src/starrocks/starrocks-schema.ts'
import { loadBatch, type LoadContext } from '../../workers/load-batch.ts'
import { TablesHeldError } from '../../workers/tables-held-error.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { debezium, debeziumFlat, debeziumSchemaChange, maxwell, maxwellDdl, type Columns, type MysqlRow } from '../harness/cdc-fixtures.ts'

/** Schema drift is counted alike by the canal fast path and the row builder, exclusions aside. */
const target: TargetTable = {
  database: 'dw',
  table: 'orders',
  model: 'PRIMARY',
  keyColumns: ['id'],
  columns: [{ name: 'id', dataType: 'bigint', nullable: false, isKey: true }, { name: 'Note', dataType: 'varchar', nullable: true, isKey: false }],
}
const route: RouteTarget = { rule: mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', excludeColumns: ['secret'] }), ruleIndex: 0, database: 'dw', table: 'orders' }

const messages = [
  canal('INSERT', 'shop', 'orders', [{ id: '1', note: 'a' }, { id: '2', note: 'b' }]),
  canal('INSERT', 'shop', 'orders', [{ id: '3', note: 'c', coupon: 'X', secret: 's' }, { id: '4', note: 'd', coupon: null, secret: 's' }, { id: '5', note: 'e', coupon: 'Y', secret: 's' }]),
  canal('UPDATE', 'shop', 'orders', [{ id: '3', note: 'c2', coupon: 'X', 列: '1' }], { old: [{ note: 'c' }] }),
  canal('DELETE', 'shop', 'orders', [{ id: '1', note: 'a', secret: 's' }]),
].map((m) => Buffer.from(m))

describe('schema drift', () => {
  test('rows carrying columns the target lacks are counted with the columns, by both row paths alike; excluded columns are not drift', () => {
    const fast = tableRowsBuilder(target)
    const scan = canalScanner()
    let taken = 0
    for (const [i, value] of messages.entries()) {
      const scanned = scan(value)
      if (scanned && fast.addScanned(scanned, 0, String(i), route)) taken++
      else fast.add({ partition: 0, offset: String(i), event: decodeCanalMessage(value) as never, route })
    }
    const slow = tableRowsBuilder(target)
    for (const [i, value] of messages.entries()) slow.add({ partition: 0, offset: String(i), event: decodeCanalMessage(value) as never, route })
    assert.ok(taken >= 3, `the fast path took ${taken} of 4 messages`)
    for (const built of [fast, slow]) {
      assert.equal(built.result.driftRows, 4)
      assert.deepEqual([...built.result.driftColumns].sort(), ['coupon', '列'])
    }
    assert.equal(fast.result.body.bytes().toString(), slow.result.body.bytes().toString())
  })
})

// The same changes as Debezium (envelope with its schema, and flattened) and Maxwell write them.
const columns: Columns = { id: { kind: 'bigint' }, note: { kind: 'varchar' }, coupon: { kind: 'varchar' }, secret: { kind: 'varchar' }, 列: { kind: 'varchar' } }
type Change = { type: 'INSERT' | 'UPDATE' | 'DELETE'; row: MysqlRow; old?: MysqlRow }
const changes: Change[] = [
  { type: 'INSERT', row: { id: '1', note: 'a' } },
  { type: 'INSERT', row: { id: '2', note: 'b' } },
  { type: 'INSERT', row: { id: '3', note: 'c', coupon: 'X', secret: 's' } },
  { type: 'INSERT', row: { id: '4', note: 'd', coupon: null, secret: 's' } },
  { type: 'INSERT', row: { id: '5', note: 'e', coupon: 'Y', secret: 's' } },
  { type: 'UPDATE', row: { id: '3', note: 'c2', coupon: 'X', 列: '1' }, old: { note: 'c' } },
  { type: 'DELETE', row: { id: '1', note: 'a', secret: 's' } },
]
const op = { INSERT: 'c', UPDATE: 'u', DELETE: 'd' } as const
const asRecord: Record<'debezium' | 'debezium-flat' | 'maxwell', (c: Change) => string> = {
  debezium: (c) => debezium({ op: op[c.type], db: 'shop', table: 'orders', before: c.type === 'INSERT' ? null : { ...c.row, ...c.old }, after: c.type === 'DELETE' ? null : c.row }, columns, { schema: true }),
  'debezium-flat': (c) => debeziumFlat({ op: op[c.type], db: 'shop', table: 'orders', before: c.row, after: c.row }, columns, { schema: true }),
  maxwell: (c) => maxwell({ type: c.type.toLowerCase(), database: 'shop', table: 'orders', data: c.row, ...(c.old ? { old: c.old } : {}) }, columns),
}

describe('schema drift in Debezium and Maxwell records', () => {
  for (const [kind, record] of Object.entries(asRecord)) {
    test(`${kind}: the row builder counts it as for canal`, () => {
      const reader = formatReader(kind === 'maxwell' ? 'maxwell' : 'debezium', { timeZone: 'UTC' })
      const built = tableRowsBuilder(target)
      for (const [i, c] of changes.entries()) {
        const event = reader.decode({ topic: 'srv.shop.orders', key: null, value: Buffer.from(record(c)) })
        assert.equal(event.kind, 'rows', record(c))
        built.add({ partition: 0, offset: String(i), event: event as never, route })
      }
      assert.equal(built.result.driftRows, 4)
      assert.deepEqual([...built.result.driftColumns].sort(), ['coupon', '列'])
    })
  }

  // Debezium's schema-change records come on a topic of their own, out of order with the rows: never a
  // barrier. Maxwell's table-* records share their rows' partition: a barrier, as canal's DDL (README "Schema changes").
  const batch = (format: ChangeFormat): Buffer[] => {
    const rows = [changes[0]!, changes[2]!]
    if (format === 'maxwell') return [maxwell({ type: 'insert', database: 'shop', table: 'orders', data: rows[0]!.row }, columns), maxwellDdl('table-alter', 'shop', 'orders', 'ALTER TABLE orders ADD COLUMN coupon varchar(10)'), maxwell({ type: 'insert', database: 'shop', table: 'orders', data: rows[1]!.row }, columns)].map((m) => Buffer.from(m))
    return [asRecord.debezium(rows[0]!), debeziumSchemaChange('shop', 'orders', 'ALTER TABLE orders ADD COLUMN coupon varchar(10)'), asRecord.debezium(rows[1]!)].map((m) => Buffer.from(m))
  }
  const run = async (format: ChangeFormat, policy: SchemaChangePolicy) => {
    const seen = { holds: [] as SchemaHold[], drift: [] as Record<string, TableDrift>[], counters: {} as Record<string, number>, loaded: 0, altered: 0 }
    const rule = mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw', excludeColumns: ['secret'], schemaChange: policy })
    const ctx = {
      config: { labelPrefix: 'k2s', format, timeZone: 'UTC' } as InstanceConfig,
      route: () => ({ rule, ruleIndex: 0, database: 'dw', table: 'orders' }),
      schemas: { table: async () => target, refresh: async () => target, invalidate() {}, async close() {} },
      client: {
        async load(req: { body: Buffer }) {
          seen.loaded += (JSON.parse(req.body.toString('utf8')) as unknown[]).length
          return { status: 'Success', txnId: 1, loadedRows: 0, loadBytes: 0, loadTimeMs: 0 }
        },
        async close() {},
      },
      activity: { async quarantine() {}, async count(_: string, counters: Record<string, number>) { seen.counters = counters } },
      tableConcurrency: 1,
      evolution: {
        holds: {
          heldTable: async () => null,
          hold: async (_: string, h: SchemaHold) => void seen.holds.push(h),
          ddlDone: async () => null,
          markDdlDone: async () => {},
          countDrift: async (_: string, d: Record<string, TableDrift>) => void seen.drift.push(d),
        },
        changes: { waitIdle: async () => void seen.altered++, run: async () => void seen.altered++, async close() {} },
      },
    } as unknown as LoadContext
    const messages = batch(format).map((value, i) => ({ offset: String(i), value }))
    const outcome = await loadBatch({ instance: 'i', epoch: 1, topic: 'srv.shop.orders', partition: 0, firstOffset: '0', lastOffset: String(messages.length - 1), messageCount: messages.length, messages }, ctx).catch((err: unknown) => err)
    return { outcome, ...seen }
  }

  for (const format of ['debezium', 'maxwell'] as const) {
    test(`${format}: under ignore the DDL is counted and drift loads short, counted`, async () => {
      const ignored = await run(format, 'ignore')
      assert.equal(ignored.loaded, 2)
      assert.equal(ignored.counters['skipped.ddl'], 1)
      assert.equal(ignored.counters.schemaDriftRows, 1)
      assert.deepEqual(ignored.drift, [{ 'dw.orders': { rows: 1, columns: ['coupon'] } }])
    })
  }

  test('debezium: a schema-change record is never carried out; under apply drift holds the table', async () => {
    const applied = await run('debezium', 'apply')
    assert.ok(applied.outcome instanceof TablesHeldError, String(applied.outcome))
    assert.equal(applied.altered, 0, 'no schema-change record of Debezium reaches StarRocks')
    assert.equal(applied.loaded, 0)
    assert.deepEqual(applied.holds.map((h) => [h.kind, h.code, h.params.columns]), [['drift', 'schema.drift-held', 'coupon']])
  })

  test('maxwell: a table-alter is a barrier under apply: the row before it loads, the DDL goes to StarRocks, rows after it never load short', async () => {
    const applied = await run('maxwell', 'apply')
    assert.ok(applied.altered > 0, 'the ALTER was carried out')
    assert.equal(applied.loaded, 1, 'the row before the DDL loaded')
    // This stub's target never gains the column: the row after the DDL holds the table for drift.
    assert.ok(applied.outcome instanceof TablesHeldError, String(applied.outcome))
    assert.deepEqual(applied.holds.map((h) => [h.kind, h.code, h.params.columns]), [['drift', 'schema.drift-held', 'coupon']])
  })
})
