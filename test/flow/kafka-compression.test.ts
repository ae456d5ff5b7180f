import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { produceWithJava } from '../harness/java-producer.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Topics whose record batches are compressed with each codec Kafka has, the two ways it happens:
 * the producer compresses (Kafka's own Java producer, as canal's does) and the broker keeps the
 * batches as they came, or the topic's `compression.type` makes the broker recompress what an
 * uncompressed producer sent. Every row must reach StarRocks and every offset be committed.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('compression'))
  await emulator.execute(`CREATE TABLE dw.orders (id BIGINT NOT NULL, source VARCHAR(64), note VARCHAR(256)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  await k2s.store.saveMappingEnv(mappingEnv('shop', [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }]))
})

after(() => stopDataPath({ emulator, k2s }))

const codecs = ['gzip', 'lz4', 'snappy', 'zstd'] as const
const perTopic = 300

// Repetitive text, as binlog JSON is: the codecs really shrink it, across many records per batch.
const messages = (base: number, source: string) =>
  Array.from({ length: perTopic }, (_, i) => canal('INSERT', 'shop', 'orders', [{ id: String(base + i), source, note: `order ${base + i} of ${source}, ${'lorem ipsum '.repeat(8)}` }]))

describe('compressed topics', () => {
  test('lz4, snappy, zstd and gzip batches, written by the producer or recompressed by the broker, all load', async () => {
    const topics: string[] = []
    let base = 0
    const expected = new Map<string, string>()
    for (const codec of codecs) {
      const byProducer = `compressed-${codec}-producer`
      await createTopic(kafka, byProducer, 1)
      await produceWithJava(kafka, byProducer, codec, messages(base, byProducer))
      for (let i = 0; i < perTopic; i++) expected.set(String(base + i), byProducer)
      base += perTopic

      const byBroker = `compressed-${codec}-broker`
      await createTopic(kafka, byBroker, 1, { 'compression.type': codec })
      await produce(kafka, byBroker, messages(base, byBroker).map((value) => ({ partition: 0, value })))
      for (let i = 0; i < perTopic; i++) expected.set(String(base + i), byBroker)
      base += perTopic
      topics.push(byProducer, byBroker)
    }

    await k2s.store.saveInstance(instanceFor(emulator, { name: 'compressed', kafkaBootstrap: kafka, topics, mappingEnv: 'shop' }))
    await k2s.store.startInstance('compressed')
    await k2s.startNode()

    await eventually('every offset of every compressed topic committed', async () => {
      for (const topic of topics) {
        const [end] = [...(await endOffsets(kafka, topic)).values()]
        const [committed] = [...(await committedOffsets(kafka, 'k2s-compressed', topic)).values()]
        if (end !== BigInt(perTopic) || committed !== end) return false
      }
      return true
    }, 90_000)
    const rows = emulator.rows('dw', 'orders')
    assert.equal(rows.length, expected.size)
    for (const row of rows) assert.equal(row.source, expected.get(String(row.id)), `row ${row.id}`)
    assert.equal((await k2s.activity.quarantineSize('compressed')), 0)
  })
})
