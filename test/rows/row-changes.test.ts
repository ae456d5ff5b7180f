import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { JsonRowsBody } from '../../src/rows/json-rows-body.ts'
import { tableRows, type SourceEvent } from '../../src/rows/row-changes.ts'
import { decodeCanalMessage, type RowEvent } from '../../src/formats/canal/canal-message.ts'
import type { MappingRule } from '../../src/instances/config.ts'
import type { RouteTarget } from '../../src/rows/table-mapping.ts'
import type { TargetColumn, TargetTable } from '../../src/starrocks/starrocks-schema.ts'

// Verbatim canal flat messages, cdc-formats.md §A.6 (C1 = apache/flink canal-data.txt lines 1, 2, 6,
// 9, 11; C2 = canal-data-filter-table.txt line 2).
const C1_L1 = String.raw`{"data":[{"id":"101","name":"scooter","description":"Small 2-wheel scooter","weight":"3.14"},{"id":"102","name":"car battery","description":"12V car battery","weight":"8.1"},{"id":"103","name":"12-pack drill bits","description":"12-pack of drill bits with sizes ranging from #40 to #3","weight":"0.8"},{"id":"104","name":"hammer","description":"12oz carpenter's hammer","weight":"0.75"},{"id":"105","name":"hammer","description":"14oz carpenter's hammer","weight":"0.875"},{"id":"106","name":"hammer","description":"16oz carpenter's hammer","weight":"1.0"},{"id":"107","name":"rocks","description":"box of assorted rocks","weight":"5.3"},{"id":"108","name":"jacket","description":"water resistent black wind breaker","weight":"0.1"},{"id":"109","name":"spare tire","description":"24 inch spare tire","weight":"22.2"}],"database":"inventory","es":1589373515000,"id":3,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373515477,"type":"INSERT"}`
const C1_L2 = String.raw`{"data":[{"id":"106","name":"hammer","description":"18oz carpenter hammer","weight":"1.0"}],"database":"inventory","es":1589373546000,"id":4,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"description":"16oz carpenter's hammer"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373546301,"type":"UPDATE"}`
const C1_L6 = String.raw`{"data":[{"id":"110","name":"jacket","description":"new water resistent white wind breaker","weight":"0.5"}],"database":"inventory","es":1589373558000,"id":8,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"description":"water resistent white wind breaker","weight":"0.2"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373558230,"type":"UPDATE"}`
const C1_L9 = String.raw`{"data":[{"id":"101","name":"scooter","description":"Small 2-wheel scooter","weight":"5.17"},{"id":"102","name":"car battery","description":"12V car battery","weight":"5.17"}],"database":"inventory","es":1589373753000,"id":11,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"weight":"3.14"},{"weight":"8.1"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373753939,"type":"UPDATE"}`
const C1_L11 = String.raw`{"data":[{"id":"102","name":"car battery","description":"12V car battery","weight":"5.17"},{"id":"103","name":"12-pack drill bits","description":"12-pack of drill bits with sizes ranging from #40 to #3","weight":"0.8"}],"database":"inventory","es":1589374013000,"id":12,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589374013680,"type":"DELETE"}`
const C2_L2 = String.raw`{"data":[{"id":"106","name":"hammer","description":"18oz carpenter hammer","weight":"1.0"}],"database":"mydb","es":1598944202000,"id":2,"isDdl":false,"mysqlType":{"id":"int(11)","name":"varchar(255)","description":"varchar(512)","weight":"float"},"old":[{"description":null}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"product","ts":1598944202218,"type":"UPDATE"}`

function rule(r: Partial<MappingRule> = {}): MappingRule {
  return {
    sourceDatabase: '.*',
    sourceTable: '.*',
    targetDatabase: 'dw',
    targetTable: 'products',
    columnRenames: {},
    excludeColumns: [],
    metadataColumns: {},
    constantColumns: {},
    needTypes: ['insert', 'update', 'delete'],
    deleteMode: 'hard',
    ...r,
  }
}

const col = (name: string, isKey = false): TargetColumn => ({ name, dataType: isKey ? 'int' : 'varchar', nullable: !isKey, isKey })

function table(model: TargetTable['model'], columns: TargetColumn[]): TargetTable {
  return { database: 'dw', table: 'products', model, columns, keyColumns: columns.filter((c) => c.isKey).map((c) => c.name) }
}

const productColumns = [col('id', true), col('name'), col('description'), col('weight')]
const pkProducts = table('PRIMARY', productColumns)
const dupProducts = table('DUPLICATE', productColumns)

function decode(json: string): RowEvent {
  const e = decodeCanalMessage(Buffer.from(json, 'utf8'))
  if (e.kind !== 'rows') assert.fail(`fixture is not a row event: ${JSON.stringify(e)}`)
  return e
}

/** A canal row event built from parts, for cases no captured sample shows. */
function event(type: RowEvent['type'], data: RowEvent['data'], old: RowEvent['old'] = [], extra: Partial<RowEvent> = {}): RowEvent {
  return { kind: 'rows', type, database: 'inventory', table: 'products2', es: 1589373515000, pkNames: ['id'], mysqlType: {}, data, old, ...extra }
}

function route(r: MappingRule, ruleIndex = 0): RouteTarget {
  return { rule: r, ruleIndex, database: 'dw', table: 'products' }
}

let nextOffset = 100
function src(e: RowEvent, r: RouteTarget = route(rule()), offset = String(nextOffset++), partition = 0): SourceEvent {
  return { partition, offset, event: e, route: r }
}

const parsed = (rows: string[]): Record<string, unknown>[] => rows.map((r) => JSON.parse(r) as Record<string, unknown>)

describe('tableRows: Primary Key table', () => {
  test('INSERT (C1 line 1): every row is an upsert with __op 0, in order', () => {
    const out = tableRows([src(decode(C1_L1))], pkProducts)
    assert.equal(out.upserts, 9)
    assert.equal(out.deletes, 0)
    assert.equal(out.ignoredDeletes, 0)
    const rows = parsed(out.body.texts())
    assert.equal(rows.length, 9)
    assert.deepEqual(rows[0], { id: '101', name: 'scooter', description: 'Small 2-wheel scooter', weight: '3.14', __op: 0 })
    assert.deepEqual(rows[8], { id: '109', name: 'spare tire', description: '24 inch spare tire', weight: '22.2', __op: 0 })
    assert.deepEqual(rows.map((r) => r.id), ['101', '102', '103', '104', '105', '106', '107', '108', '109'])
  })

  test('values go into the body as the exact strings; null stays null', () => {
    const target = table('PRIMARY', [col('id', true), col('amount'), col('note')])
    const out = tableRows([src(event('INSERT', [{ id: '18446744073709551615', amount: '12345678901234567890.123456789', note: null }]))], target)
    assert.equal(out.body.texts().length, 1)
    assert.deepEqual(JSON.parse(out.body.texts()[0]!), { id: '18446744073709551615', amount: '12345678901234567890.123456789', note: null, __op: 0 })
    assert.match(out.body.texts()[0]!, /"id":"18446744073709551615"/)
    assert.match(out.body.texts()[0]!, /"amount":"12345678901234567890\.123456789"/)
    assert.match(out.body.texts()[0]!, /"note":null/)
  })

  test('DELETE in hard mode (C1 line 11): __op 1 with the before image', () => {
    const out = tableRows([src(decode(C1_L11))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '102', name: 'car battery', description: '12V car battery', weight: '5.17', __op: 1 },
      { id: '103', name: '12-pack drill bits', description: '12-pack of drill bits with sizes ranging from #40 to #3', weight: '0.8', __op: 1 },
    ])
    assert.equal(out.deletes, 2)
    assert.equal(out.upserts, 0)
    assert.equal(out.ignoredDeletes, 0)
  })

  test('UPDATE that does not touch the key (C1 line 6): one upsert of the after image', () => {
    const out = tableRows([src(decode(C1_L6))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [{ id: '110', name: 'jacket', description: 'new water resistent white wind breaker', weight: '0.5', __op: 0 }])
    assert.equal(out.upserts, 1)
    assert.equal(out.deletes, 0)
  })

  test('multi-row UPDATE (C1 line 9): one upsert per row', () => {
    const out = tableRows([src(decode(C1_L9))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '101', name: 'scooter', description: 'Small 2-wheel scooter', weight: '5.17', __op: 0 },
      { id: '102', name: 'car battery', description: '12V car battery', weight: '5.17', __op: 0 },
    ])
    assert.equal(out.upserts, 2)
    assert.equal(out.deletes, 0)
  })

  test('UPDATE changing the primary key: delete of the old key (data overlaid with old), then upsert', () => {
    // D.6 item 2: C1 line 2 with the key moved from 105 to 106.
    const m = JSON.parse(C1_L2) as { old: unknown }
    m.old = [{ id: '105', description: "16oz carpenter's hammer" }]
    const out = tableRows([src(decode(JSON.stringify(m)))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '105', name: 'hammer', description: "16oz carpenter's hammer", weight: '1.0', __op: 1 },
      { id: '106', name: 'hammer', description: '18oz carpenter hammer', weight: '1.0', __op: 0 },
    ])
    assert.equal(out.deletes, 1)
    assert.equal(out.upserts, 1)
  })

  test('UPDATE changing one column of a composite key deletes the old key', () => {
    const target = table('PRIMARY', [col('tenant', true), col('id', true), col('v')])
    const out = tableRows([src(event('UPDATE', [{ tenant: 't2', id: '7', v: 'x' }], [{ tenant: 't1' }]))], target)
    assert.deepEqual(parsed(out.body.texts()), [
      { tenant: 't1', id: '7', v: 'x', __op: 1 },
      { tenant: 't2', id: '7', v: 'x', __op: 0 },
    ])
  })

  test('UPDATE whose old holds the key with the same value (canal old quirk) is just an upsert', () => {
    const out = tableRows([src(event('UPDATE', [{ id: '1', name: 'b', description: null, weight: '1' }], [{ id: '1', name: 'a' }]))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [{ id: '1', name: 'b', description: null, weight: '1', __op: 0 }])
    assert.equal(out.deletes, 0)
  })

  test('UPDATE where the old value was NULL (C2 line 2, "old":[{"description":null}]) is just an upsert', () => {
    const out = tableRows([src(decode(C2_L2))], pkProducts)
    assert.deepEqual(parsed(out.body.texts()), [{ id: '106', name: 'hammer', description: '18oz carpenter hammer', weight: '1.0', __op: 0 }])
    assert.equal(out.upserts, 1)
    assert.equal(out.deletes, 0)
  })

  test('a key change is seen through a column rename and a case difference', () => {
    const target = table('PRIMARY', [col('id', true), col('name')])
    const r = route(rule({ columnRenames: { PID: 'ID' } }))
    const out = tableRows([src(event('UPDATE', [{ PID: '2', name: 'n' }], [{ PID: '1' }]), r)], target)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '1', name: 'n', __op: 1 },
      { id: '2', name: 'n', __op: 0 },
    ])
  })

  test('delete mode ignore: DELETEs send nothing and are counted', () => {
    const out = tableRows([src(decode(C1_L11), route(rule({ deleteMode: 'ignore' })))], pkProducts)
    assert.deepEqual([out.body.count, out.upserts, out.deletes, out.ignoredDeletes], [0, 0, 0, 2])
  })

  test('delete mode soft on a Primary Key table: the delete is an upsert setting the column to 1', () => {
    const target = table('PRIMARY', [...productColumns, col('is_deleted')])
    const r = route(rule({ deleteMode: 'soft', softDeleteColumn: 'is_deleted' }))
    const out = tableRows([src(event('INSERT', [{ id: '1', name: 'a', description: null, weight: '1' }]), r), src(event('DELETE', [{ id: '1', name: 'a', description: null, weight: '1' }]), r)], target)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '1', name: 'a', description: null, weight: '1', is_deleted: '0', __op: 0 },
      { id: '1', name: 'a', description: null, weight: '1', is_deleted: '1', __op: 0 },
    ])
    assert.equal(out.upserts, 2)
    assert.equal(out.deletes, 0)
    assert.equal(out.ignoredDeletes, 0)
  })
})

describe('tableRows: Duplicate Key table', () => {
  test('rows carry no __op key at all', () => {
    const out = tableRows([src(decode(C1_L1)), src(decode(C1_L6))], dupProducts)
    assert.equal(out.body.texts().length, 10)
    for (const row of out.body.texts()) {
      assert.ok(!row.includes('__op'), row)
      assert.ok(!Object.hasOwn(JSON.parse(row) as object, '__op'), row)
    }
    assert.deepEqual(JSON.parse(out.body.texts()[9]!), { id: '110', name: 'jacket', description: 'new water resistent white wind breaker', weight: '0.5' })
    assert.equal(out.upserts, 10)
  })

  test('hard DELETEs cannot be applied: nothing sent, each row counted in ignoredDeletes', () => {
    const out = tableRows([src(decode(C1_L11))], dupProducts)
    assert.deepEqual([out.body.count, out.upserts, out.deletes, out.ignoredDeletes], [0, 0, 0, 2])
  })

  test('an UPDATE that moves the key appends the new image only (no delete on Duplicate Key)', () => {
    const out = tableRows([src(event('UPDATE', [{ id: '2', name: 'a', description: null, weight: '1' }], [{ id: '1' }]))], dupProducts)
    assert.deepEqual(parsed(out.body.texts()), [{ id: '2', name: 'a', description: null, weight: '1' }])
    assert.equal(out.deletes, 0)
  })

  test('soft delete mode: upserts set the column to "0", deletes append the before image with "1"', () => {
    const target = table('DUPLICATE', [...productColumns, col('is_deleted')])
    const r = route(rule({ deleteMode: 'soft', softDeleteColumn: 'is_deleted' }))
    const out = tableRows([src(decode(C1_L6), r), src(decode(C1_L11), r)], target)
    assert.deepEqual(parsed(out.body.texts()), [
      { id: '110', name: 'jacket', description: 'new water resistent white wind breaker', weight: '0.5', is_deleted: '0' },
      { id: '102', name: 'car battery', description: '12V car battery', weight: '5.17', is_deleted: '1' },
      { id: '103', name: '12-pack drill bits', description: '12-pack of drill bits with sizes ranging from #40 to #3', weight: '0.8', is_deleted: '1' },
    ])
    assert.equal(out.upserts, 3)
    assert.equal(out.ignoredDeletes, 0)
  })

  test('ignore mode: deletes counted, upserts unchanged', () => {
    const r = route(rule({ deleteMode: 'ignore' }))
    const out = tableRows([src(decode(C1_L11), r), src(decode(C1_L6), r)], dupProducts)
    assert.equal(out.body.texts().length, 1)
    assert.equal(out.upserts, 1)
    assert.equal(out.ignoredDeletes, 2)
  })
})

describe('tableRows: columns', () => {
  test('renames, exclusions and columns the target lacks', () => {
    const target = table('PRIMARY', [col('id', true), col('product_name'), col('description'), col('weight')])
    const r = route(rule({ columnRenames: { name: 'product_name' }, excludeColumns: ['description'] }))
    const out = tableRows([src(event('INSERT', [{ id: '1', name: 'scooter', description: 'secret', weight: '3.14', extra: 'dropped' }]), r)], target)
    assert.deepEqual(parsed(out.body.texts()), [{ id: '1', product_name: 'scooter', weight: '3.14', __op: 0 }])
  })

  test('keys are spelled as the target spells them (source UserName → target username)', () => {
    const target = table('PRIMARY', [col('id', true), col('username'), col('Weight')])
    const out = tableRows([src(event('INSERT', [{ ID: '1', UserName: 'ann', weight: '2' }]))], target)
    assert.equal(out.body.texts()[0], '{"id":"1","username":"ann","Weight":"2","__op":0}')
  })

  test('metadata columns: source database and table, event type, binlog time (UTC), binlog ms, partition, offset', () => {
    const target = table('PRIMARY', [
      col('id', true), col('name'),
      col('src_db'), col('src_table'), col('op_type'), col('binlog_time'), col('binlog_ms'), col('kafka_partition'), col('kafka_offset'),
    ])
    const r = route(rule({
      metadataColumns: {
        src_db: 'sourceDatabase', src_table: 'sourceTable', OP_TYPE: 'eventType', binlog_time: 'binlogTime',
        binlog_ms: 'binlogTimeMs', kafka_partition: 'kafkaPartition', kafka_offset: 'kafkaOffset', not_in_target: 'sourceTable',
      },
    }))
    const out = tableRows([
      src(event('INSERT', [{ id: '1', name: 'a' }], [], { database: 'shop_eu', table: 'order_3', es: 1589373515000 }), r, '9223372036854775806', 7),
      src(decode(C2_L2), r, '42', 7),
    ], target)
    assert.deepEqual(parsed(out.body.texts()), [
      {
        id: '1', name: 'a', src_db: 'shop_eu', src_table: 'order_3', op_type: 'INSERT', binlog_time: '2020-05-13 12:38:35',
        binlog_ms: '1589373515000', kafka_partition: '7', kafka_offset: '9223372036854775806', __op: 0,
      },
      {
        id: '106', name: 'hammer', src_db: 'mydb', src_table: 'product', op_type: 'UPDATE', binlog_time: '2020-09-01 07:10:02',
        binlog_ms: '1598944202000', kafka_partition: '7', kafka_offset: '42', __op: 0,
      },
    ])
  })
})

describe('tableRows: order and several rules', () => {
  test('rows keep Kafka order across messages (insert, update, delete, insert of one key)', () => {
    const target = table('PRIMARY', [col('id', true), col('v')])
    const out = tableRows([
      src(event('INSERT', [{ id: '1', v: 'a' }]), undefined, '10'),
      src(event('UPDATE', [{ id: '1', v: 'b' }], [{ v: 'a' }]), undefined, '11'),
      src(event('DELETE', [{ id: '1', v: 'b' }]), undefined, '12'),
      src(event('UPDATE', [{ id: '2', v: 'c' }], [{ id: '9' }]), undefined, '13'),
      src(event('INSERT', [{ id: '1', v: 'd' }]), undefined, '14'),
    ], target)
    assert.deepEqual(out.body.texts(), [
      '{"id":"1","v":"a","__op":0}',
      '{"id":"1","v":"b","__op":0}',
      '{"id":"1","v":"b","__op":1}',
      '{"id":"9","v":"c","__op":1}',
      '{"id":"2","v":"c","__op":0}',
      '{"id":"1","v":"d","__op":0}',
    ])
    assert.equal(out.upserts, 4)
    assert.equal(out.deletes, 2)
  })

  test('two rules feeding one target each project with their own rule, in Kafka order', () => {
    const target = table('PRIMARY', [col('id', true), col('amount'), col('kind')])
    const orders = route(rule({ sourceTable: 'order_\\d+', columnRenames: { amt: 'amount' }, metadataColumns: { kind: 'sourceTable' } }), 0)
    const refunds = route(rule({ sourceTable: 'refund_\\d+', columnRenames: { value: 'amount' }, deleteMode: 'ignore' }), 1)
    const out = tableRows([
      src(event('INSERT', [{ id: '1', amt: '10.00' }], [], { table: 'order_1' }), orders),
      src(event('INSERT', [{ id: '2', value: '-3.50', kind: 'refund' }], [], { table: 'refund_1' }), refunds),
      src(event('DELETE', [{ id: '2', value: '-3.50', kind: 'refund' }], [], { table: 'refund_1' }), refunds),
      src(event('INSERT', [{ id: '3', amt: '7.25' }], [], { table: 'order_2' }), orders),
      src(event('DELETE', [{ id: '1', amt: '10.00' }], [], { table: 'order_1' }), orders),
    ], target)
    assert.deepEqual(out.body.texts(), [
      '{"id":"1","amount":"10.00","kind":"order_1","__op":0}',
      '{"id":"2","amount":"-3.50","kind":"refund","__op":0}',
      '{"id":"3","amount":"7.25","kind":"order_2","__op":0}',
      '{"id":"1","amount":"10.00","kind":"order_1","__op":1}',
    ])
    assert.equal(out.upserts, 3)
    assert.equal(out.deletes, 1)
    assert.equal(out.ignoredDeletes, 1)
  })

  test('no events → no rows', () => {
    const out = tableRows([], pkProducts)
    assert.deepEqual([out.body.count, out.body.bytes().toString(), out.upserts, out.deletes, out.ignoredDeletes], [0, '[]', 0, 0, 0])
  })
})

describe('JsonRowsBody: the Stream Load body', () => {
  const rows = [
    '{"id":"1","name":"中文名","__op":0}',
    '{"id":"2","name":"emoji 🚲 and \\"quotes\\"","__op":0}',
    '{"id":"3","name":"Ünïcödé","__op":1}',
  ]

  test('is the rows as one JSON array, byte for byte, whatever the characters', () => {
    const body = new JsonRowsBody(16)
    for (const row of rows) body.addText(row)
    assert.deepEqual(body.bytes(), Buffer.from(`[${rows.join(',')}]`))
    assert.deepEqual(JSON.parse(body.bytes().toString('utf8')).map((r: { id: string }) => r.id), ['1', '2', '3'])
    assert.deepEqual(body.texts(), rows)
    assert.equal(body.count, 3)
  })

  test('rows pieced from bytes, short and long, across growth of the buffer', () => {
    const body = new JsonRowsBody(16)
    const long = Buffer.from(`"note":"${'x'.repeat(100)}"`)
    for (let i = 0; i < 50; i++) {
      body.startRow()
      body.byte(0x7b)
      body.copy(Buffer.from(`--"id":"${i}",--`), 2, 10 + String(i).length)
      body.copy(long)
      body.text(',"name":"中文名"}')
    }
    const parsed = JSON.parse(body.bytes().toString('utf8')) as { id: string; note: string; name: string }[]
    assert.deepEqual(parsed.map((r) => r.id), Array.from({ length: 50 }, (_, i) => String(i)))
    assert.ok(parsed.every((r) => r.note === 'x'.repeat(100) && r.name === '中文名'))
    assert.deepEqual(body.texts().map((t) => JSON.parse(t) as unknown), parsed)
  })

  test('of no rows is an empty array', () => {
    assert.equal(new JsonRowsBody().bytes().toString(), '[]')
  })
})
