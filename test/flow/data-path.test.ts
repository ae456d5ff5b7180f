import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal, canalDdl } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * The data path end to end: canal messages in a real Kafka, K2S fetchers and loaders on a real
 * Redis, rows in the StarRocks emulator, offsets committed only after the rows arrived.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('data-path'))
  await emulator.execute(`CREATE TABLE dw.orders (
      id BIGINT NOT NULL, customer VARCHAR(64), amount DECIMAL(12,2), status VARCHAR(16), note VARCHAR(128)
    ) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ("replication_num" = "1")`)
  await emulator.execute(`CREATE TABLE dw.order_all (
      id BIGINT NOT NULL, shard VARCHAR(32) NOT NULL, amount DECIMAL(12,2)
    ) PRIMARY KEY(id, shard) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  await emulator.execute(`CREATE TABLE dw.customers (
      id BIGINT NOT NULL, username VARCHAR(64), email VARCHAR(128)
    ) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  await emulator.execute(`CREATE TABLE dw.audit (
      id BIGINT NOT NULL, action VARCHAR(16), deleted TINYINT
    ) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  await emulator.execute(`CREATE TABLE dw.big_numbers (
      id LARGEINT NOT NULL, u64 LARGEINT, money DECIMAL(38,9)
    ) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  await k2s.store.saveMappingEnv(
    mappingEnv('shop', [
      { sourceDatabase: 'shop', sourceTable: 'order_\\d+', targetDatabase: 'dw', targetTable: 'order_all', metadataColumns: { shard: 'sourceTable' } },
      { sourceDatabase: 'shop', sourceTable: 'users', targetDatabase: 'dw', targetTable: 'customers', columnRenames: { UserName: 'username' }, excludeColumns: ['email'], deleteMode: 'ignore' },
      { sourceDatabase: 'shop', sourceTable: 'audit', targetDatabase: 'dw', targetTable: 'audit', deleteMode: 'soft', softDeleteColumn: 'deleted' },
      { sourceDatabase: 'shop', sourceTable: 'orders|big_numbers', targetDatabase: 'dw' },
    ]),
  )
})

after(() => stopDataPath({ emulator, k2s }))

const byId = (rows: Record<string, string | null>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id))

describe('canal → StarRocks', () => {
  test('inserts, updates and deletes of several tables arrive as a replay of the binlog would leave them', async () => {
    const topic = 'shop-binlog'
    await createTopic(kafka, topic, 2)
    // canal routes by table here: each table stays in one partition, in binlog order.
    const orders = (value: string) => ({ partition: 0, value })
    const others = (value: string) => ({ partition: 1, value })
    await produce(kafka, topic, [
      orders(canal('INSERT', 'shop', 'orders', [
        { id: '1', customer: 'ann', amount: '10.50', status: 'new', note: null },
        { id: '2', customer: 'bob', amount: '20.00', status: 'new', note: 'gift' },
        { id: '3', customer: 'cid', amount: '30.00', status: 'new', note: null },
      ])),
      orders(canal('UPDATE', 'shop', 'orders', [{ id: '1', customer: 'ann', amount: '10.50', status: 'paid', note: 'was null' }], { old: [{ status: 'new', note: null }] })),
      // A key change: the row moves from id 2 to id 20.
      orders(canal('UPDATE', 'shop', 'orders', [{ id: '20', customer: 'bob', amount: '20.00', status: 'new', note: 'gift' }], { old: [{ id: '2' }] })),
      orders(canal('DELETE', 'shop', 'orders', [{ id: '3', customer: 'cid', amount: '30.00', status: 'new', note: null }])),
      orders(canalDdl('shop', 'orders', 'ALTER TABLE orders ADD COLUMN x INT')),
      others(canal('INSERT', 'shop', 'order_0', [{ id: '7', amount: '1.00' }])),
      others(canal('INSERT', 'shop', 'order_1', [{ id: '7', amount: '2.00' }])),
      others(canal('UPDATE', 'shop', 'order_1', [{ id: '7', amount: '2.50' }], { old: [{ amount: '2.00' }] })),
      others(canal('INSERT', 'shop', 'users', [{ id: '5', UserName: 'Eve', email: 'eve@example.com' }])),
      others(canal('DELETE', 'shop', 'users', [{ id: '5', UserName: 'Eve', email: 'eve@example.com' }])),
      others(canal('INSERT', 'shop', 'audit', [{ id: '9', action: 'login' }, { id: '9', action: 'view' }])),
      others(canal('DELETE', 'shop', 'audit', [{ id: '9', action: 'view' }])),
      others(canal('INSERT', 'shop', 'big_numbers', [{ id: '18446744073709551615', u64: '18446744073709551615', money: '12345678901234567890.123456789' }])),
      others(canal('INSERT', 'shop', 'not_mapped', [{ id: '1' }, { id: '2' }])),
    ])
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'shop', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'shop' }))
    await k2s.store.startInstance('shop')
    await k2s.startNode()

    const ends = await endOffsets(kafka, topic)
    await eventually('every offset committed', async () => {
      const committed = await committedOffsets(kafka, 'k2s-shop', topic)
      return [...ends].every(([p, end]) => committed.get(p) === end)
    })

    assert.deepEqual(byId(emulator.rows('dw', 'orders')), [
      { id: '1', customer: 'ann', amount: '10.50', status: 'paid', note: 'was null' },
      { id: '20', customer: 'bob', amount: '20.00', status: 'new', note: 'gift' },
    ])
    assert.deepEqual(
      emulator.rows('dw', 'order_all').sort((a, b) => String(a.shard).localeCompare(String(b.shard))),
      [
        { id: '7', shard: 'order_0', amount: '1.00' },
        { id: '7', shard: 'order_1', amount: '2.50' },
      ],
    )
    // Renamed, the excluded column left NULL, and the DELETE ignored as the rule says.
    assert.deepEqual(emulator.rows('dw', 'customers'), [{ id: '5', username: 'Eve', email: null }])
    // A Duplicate Key table keeps history; the soft delete appends the row marked deleted.
    assert.deepEqual(emulator.rows('dw', 'audit'), [
      { id: '9', action: 'login', deleted: '0' },
      { id: '9', action: 'view', deleted: '0' },
      { id: '9', action: 'view', deleted: '1' },
    ])
    assert.deepEqual(emulator.rows('dw', 'big_numbers'), [
      { id: '18446744073709551615', u64: '18446744073709551615', money: '12345678901234567890.123456789' },
    ])

    const counters = await k2s.activity.counters('shop')
    assert.equal(counters['skipped.ddl'], 1)
    assert.equal(counters['skipped.unmapped'], 2)
    assert.equal(counters.ignoredDeletes, 1)
    assert.deepEqual(await k2s.activity.skippedBySource('shop'), { 'shop.orders:ddl': 1, 'shop.not_mapped:unmapped': 2 })
    assert.deepEqual(await k2s.activity.quarantined('shop'), [])
  })

  test('a mapping edited while the instance runs applies to the next batch, without a restart', async () => {
    const topic = 'live-binlog'
    await createTopic(kafka, topic, 1)
    await emulator.execute('CREATE TABLE dw.live_b (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    await k2s.store.saveMappingEnv(mappingEnv('live', [{ sourceDatabase: 'live', sourceTable: 'a', targetDatabase: 'dw' }]))
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'live', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'live' }))
    await k2s.store.startInstance('live')
    await produce(kafka, topic, [{ partition: 0, value: canal('INSERT', 'live', 'b', [{ id: '1' }]) }])
    await eventually('the unmapped row counted', async () => (await k2s.activity.counters('live'))['skipped.unmapped'] === 1)

    await k2s.store.saveMappingEnv(mappingEnv('live', [{ sourceDatabase: 'live', sourceTable: 'a|b', targetDatabase: 'dw', targetTable: 'live_${table}' }]))
    await produce(kafka, topic, [{ partition: 0, value: canal('INSERT', 'live', 'b', [{ id: '2' }]) }])
    await eventually('row 2 in dw.live_b', () => emulator.rows('dw', 'live_b').length === 1)
    assert.deepEqual(emulator.rows('dw', 'live_b'), [{ id: '2' }])
  })
})
