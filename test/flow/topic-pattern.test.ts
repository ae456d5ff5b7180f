import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { fetcherReports } from '../../src/instances/fetcher-report.ts'
import { readLagRecord } from '../../src/observe/lag-record.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, deleteTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * canal.mq.dynamicTopic writes one topic per table: an instance subscribes by pattern, reads the
 * topics that match when it starts, and picks up a matching topic created later within a minute,
 * each topic-partition with its own batches and committed offsets.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('topic-pattern'))
  await emulator.execute(`CREATE TABLE dw.changes (id BIGINT NOT NULL, source VARCHAR(64)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  // Every table of the source lands in one target table, with the row's source table beside it.
  await k2s.store.saveMappingEnv(mappingEnv('dyn', [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw', targetTable: 'changes', metadataColumns: { source: 'sourceTable' } }]))
})

after(() => stopDataPath({ emulator, k2s }))

const rowsOf = (table: string, ids: number[]) => ids.map((id) => canal('INSERT', 'shop', table, [{ id: String(id) }]))
const sources = () => new Map(emulator.rows('dw', 'changes').map((r) => [Number(r.id), r.source]))

describe('topics by pattern', () => {
  test('the topics matching at start are read; a matching topic created later is read within a minute, from its first message', async () => {
    await createTopic(kafka, 'dyn_shop_orders', 2)
    await createTopic(kafka, 'dyn_shop_users', 1)
    await createTopic(kafka, 'dyn_other_audit', 1)
    await produce(kafka, 'dyn_shop_orders', rowsOf('orders', [1, 2, 3, 4]).map((value, i) => ({ partition: i % 2, value })))
    await produce(kafka, 'dyn_shop_users', rowsOf('users', [11, 12]).map((value) => ({ partition: 0, value })))
    await produce(kafka, 'dyn_other_audit', rowsOf('audit', [99]).map((value) => ({ partition: 0, value })))

    // E-C over the topics that exist; L-C over a pattern that matches nothing yet: a topic that
    // appears later is new as a whole, so even "latest" reads it from its first message.
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'dyn', kafkaBootstrap: kafka, topics: [], topicPattern: 'dyn_shop_.*', mappingEnv: 'dyn' }))
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'later', kafkaBootstrap: kafka, topics: [], topicPattern: 'later_shop_.*', mappingEnv: 'dyn', consumerPolicy: 'L-C' }))
    await k2s.store.startInstance('dyn')
    await k2s.store.startInstance('later')
    await k2s.startNode()

    await eventually('the rows of the topics matching at start', () => [1, 2, 3, 4, 11, 12].every((id) => sources().has(id)), 30_000)
    assert.equal(sources().has(99), false, 'dyn_other_audit does not match the pattern')
    const keys = redisKeys(k2s.prefix)
    await eventually('both fetchers started', async () => (await readLagRecord(k2s.redis, keys, 'dyn')) !== null && (await readLagRecord(k2s.redis, keys, 'later')) !== null)

    const created = Date.now()
    await createTopic(kafka, 'dyn_shop_payments', 1)
    await createTopic(kafka, 'later_shop_orders', 1)
    await produce(kafka, 'dyn_shop_payments', rowsOf('payments', [21, 22]).map((value) => ({ partition: 0, value })))
    await produce(kafka, 'later_shop_orders', rowsOf('orders', [31, 32, 33]).map((value) => ({ partition: 0, value })))
    await eventually('the rows of the topics created later', () => [21, 22, 31, 32, 33].every((id) => sources().has(id)), 75_000)
    const pickedUpMs = Date.now() - created
    assert.ok(pickedUpMs < 60_000 + 10_000, `picked up after ${pickedUpMs} ms`)
    assert.equal(sources().get(21), 'payments')
    assert.equal(sources().get(31), 'orders')

    // Offsets are committed per topic-partition, and only for the topics that match.
    await eventually('every offset committed', async () => {
      const orders = await committedOffsets(kafka, 'k2s-dyn', 'dyn_shop_orders')
      const users = await committedOffsets(kafka, 'k2s-dyn', 'dyn_shop_users')
      const payments = await committedOffsets(kafka, 'k2s-dyn', 'dyn_shop_payments')
      const later = await committedOffsets(kafka, 'k2s-later', 'later_shop_orders')
      return orders.get(0) === 2n && orders.get(1) === 2n && users.get(0) === 2n && payments.get(0) === 2n && later.get(0) === 3n
    })
    assert.equal((await committedOffsets(kafka, 'k2s-dyn', 'dyn_other_audit')).get(0) ?? null, null)
    // Each topic-partition's batches load under labels of their own.
    const labels = emulator.loads.map((l) => l.label)
    for (const topic of ['dyn_shop_orders', 'dyn_shop_users', 'dyn_shop_payments', 'later_shop_orders']) {
      assert.ok(labels.some((l) => l.includes(topic)), `a label names ${topic}: ${labels.join(', ')}`)
    }
  })

  test('a topic that stops matching (deleted) is let go: the other topics flow on and the fetcher reports fetching again', async () => {
    const reports = fetcherReports(k2s.redis, redisKeys(k2s.prefix))
    await deleteTopic(kafka, 'dyn_shop_users')
    // The fetcher notices within its 30 s look (or at once, when the consumer trips over the deleted topic) and restarts without it.
    await produce(kafka, 'dyn_shop_orders', rowsOf('orders', [5, 6]).map((value, i) => ({ partition: i % 2, value })))
    await produce(kafka, 'dyn_shop_payments', rowsOf('payments', [23]).map((value) => ({ partition: 0, value })))
    await eventually('the rows of the topics still matching', () => [5, 6, 23].every((id) => sources().has(id)), 75_000)
    await eventually('orders and payments committed past the new rows', async () => {
      const orders = await committedOffsets(kafka, 'k2s-dyn', 'dyn_shop_orders')
      const payments = await committedOffsets(kafka, 'k2s-dyn', 'dyn_shop_payments')
      return orders.get(0) === 3n && orders.get(1) === 3n && payments.get(0) === 3n
    }, 30_000)
    // Gone for good: the instance is not left retrying over a topic that no longer exists.
    await eventually('the fetcher fetching', async () => (await reports.read('dyn'))?.phase === 'fetching', 45_000)
  })
})
