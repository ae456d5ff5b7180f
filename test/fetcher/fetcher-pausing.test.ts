import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * A fetcher pauses partitions to bound what it buffers: one batch ahead per partition, and a budget
 * across partitions. Pausing must never stand a partition still: not across a rebalance (kafkajs
 * keeps a pause through it), and not when the budget holds many partitions back at once.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('pausing'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

test('partitions paused before a rebalance are fetched again after it: every row arrives', async () => {
  const name = 'moves'
  await emulator.execute(`CREATE TABLE dw.${name} (id BIGINT NOT NULL, v VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  const topic = `app-${name}`
  await createTopic(kafka, topic, 2)
  // Two rows a batch: with loads failing, one batch is in flight and the next one fills at once.
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app', commitBatch: 2, commitTimeout: 100 }))
  const send = (partition: number, ids: number[]) =>
    produce(kafka, topic, ids.map((id) => ({ partition, value: canal('INSERT', 'app', name, [{ id: String(id), v: `v${id}` }]) })))
  emulator.faults.inject({ kind: 'down' })
  await send(0, [1, 2, 3, 4])
  await send(1, [11, 12, 13, 14])
  await k2s.store.startInstance(name)
  await eventually('loads failing', async () => (await k2s.activity.health(name)).state === 'retrying')
  // Fetched while the first batch is stuck in flight: the buffer is full, the partitions pause.
  await send(0, [5, 6, 7, 8])
  await send(1, [15, 16, 17, 18])
  await sleep(1_000)

  // A second member joins the instance's group and leaves again: two rebalances. It never commits.
  const intruder = new Kafka({ clientId: 'intruder', brokers: [kafka], logLevel: logLevel.NOTHING }).consumer({ groupId: `k2s-${name}`, sessionTimeout: 10_000 })
  let joined = false
  intruder.on(intruder.events.GROUP_JOIN, () => (joined = true))
  await intruder.connect()
  await intruder.subscribe({ topics: [topic], fromBeginning: true })
  await intruder.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} })
  await eventually('the intruder in the group', () => joined)
  await intruder.disconnect()

  emulator.faults.clear()
  const ids = () => emulator.rows('dw', name).map((r) => Number(r.id)).sort((a, b) => a - b)
  await eventually('every row', () => ids().length === 16, 30_000)
  assert.deepEqual(ids(), [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18])
  await eventually('both partitions committed to their end', async () => {
    const committed = await committedOffsets(kafka, `k2s-${name}`, topic)
    return committed.get(0) === 8n && committed.get(1) === 8n
  })
})

test('many partitions held back by the look-ahead budget: every row arrives, every offset is committed', async () => {
  const name = 'many'
  await emulator.execute(`CREATE TABLE dw.${name} (id BIGINT NOT NULL, v VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  const topic = `app-${name}`
  const partitions = 6
  await createTopic(kafka, topic, partitions)
  // 1 KiB batches: a budget of 2 KiB across six partitions, each message about 300 bytes.
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app', commitBatch: 1_000, commitTimeout: 100, maxBatchBytes: 1024 }))
  const expected: number[] = []
  for (let p = 0; p < partitions; p++) {
    const ids = Array.from({ length: 30 }, (_, i) => p * 100 + i)
    expected.push(...ids)
    await produce(kafka, topic, ids.map((id) => ({ partition: p, value: canal('INSERT', 'app', name, [{ id: String(id), v: `v${id}` }]) })))
  }
  // Slow loads keep batches in flight while the others fill up.
  emulator.faults.inject({ kind: 'slow', ms: 100, at: 'be', applied: true, table: name })
  await k2s.store.startInstance(name)
  const ids = () => emulator.rows('dw', name).map((r) => Number(r.id)).sort((a, b) => a - b)
  await eventually('every row', () => ids().length === expected.length, 60_000)
  assert.deepEqual(ids(), expected.sort((a, b) => a - b))
  await eventually('every partition committed to its end', async () => {
    const committed = await committedOffsets(kafka, `k2s-${name}`, topic)
    return Array.from({ length: partitions }, (_, p) => committed.get(p)).every((o) => o === 30n)
  })
  emulator.faults.clear()
})
