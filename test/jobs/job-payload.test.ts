import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodePayload, encodePayload } from '../../src/jobs/job-payload.ts'
import { decodeKey, decodeValue, encodeValue, type KafkaValue } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

describe('payload frame', () => {
  test('round-trips offsets, tombstones, empty values and bytes that are not UTF-8', () => {
    const messages = [
      { offset: '0', value: Buffer.from('{"a":"\u4e2d\u6587"}') },
      { offset: '9223372036854775806', value: null },
      { offset: '12', value: Buffer.alloc(0) },
      { offset: '13', value: Buffer.from([0xff, 0x00, 0xc3, 0x28]) },
    ]
    const back = decodePayload(encodePayload(messages))
    assert.deepEqual(back.map((m) => [m.offset, m.value && [...m.value]]), messages.map((m) => [m.offset, m.value && [...m.value]]))
  })

  test('keys travel with their values when a batch has any; a batch without keys keeps the keyless frame', () => {
    const messages = [
      { offset: '0', key: Buffer.from('{"id":1}'), value: Buffer.from('{"op":"c"}') },
      { offset: '1', key: Buffer.from('{"id":1}'), value: null },
      { offset: '2', key: null, value: Buffer.from('{"status":"BEGIN"}') },
      { offset: '3', key: Buffer.alloc(0), value: Buffer.alloc(0) },
    ]
    const back = decodePayload(encodePayload(messages))
    const bytes = (b: Buffer | null | undefined) => (b ? [...b] : null)
    assert.deepEqual(back.map((m) => [m.offset, bytes(m.key), bytes(m.value)]), messages.map((m) => [m.offset, bytes(m.key), bytes(m.value)]))
    const keyless = [{ offset: '7', value: Buffer.from('x') }, { offset: '8', key: null, value: null }]
    // The frame every K2S before keys wrote and read: u32 count, then offset and value only.
    assert.deepEqual([...encodePayload(keyless)], [0, 0, 0, 2, 1, 0x37, 0, 0, 0, 1, 0x78, 1, 0x38, 0xff, 0xff, 0xff, 0xff])
    const keyed = encodePayload(messages)
    assert.throws(() => decodePayload(keyed.subarray(0, keyed.length - 1)))
    const future = Buffer.from(keyed)
    future[4] = 3
    assert.throws(() => decodePayload(future), /version 3 is newer than this loader reads/)
  })

  test('the quarantine keeps a message key beside its value, so a replay reads a Debezium delete as it came', () => {
    const kept: KafkaValue[] = JSON.parse(JSON.stringify([encodeValue('4', Buffer.from('{"op":"d","before":null}'), Buffer.from('{"id":8}')), encodeValue('5', null, Buffer.from([0xff, 0x01])), encodeValue('6', Buffer.from('x'))]))
    assert.deepEqual(kept, [
      { offset: '4', value: '{"op":"d","before":null}', key: { value: '{"id":8}' } },
      { offset: '5', value: null, key: { value: '/wE=', base64: true } },
      { offset: '6', value: 'x' },
    ])
    assert.deepEqual(kept.map((m) => [decodeKey(m)?.toString('hex') ?? null, decodeValue(m)?.toString() ?? null]), [['7b226964223a387d', '{"op":"d","before":null}'], ['ff01', null], [null, 'x']])
  })

  test('an empty batch is four bytes; a truncated or padded frame is refused', () => {
    assert.deepEqual(decodePayload(encodePayload([])), [])
    const frame = encodePayload([{ offset: '5', value: Buffer.from('hello') }])
    assert.throws(() => decodePayload(frame.subarray(0, frame.length - 1)))
    assert.throws(() => decodePayload(Buffer.concat([frame, Buffer.from([0])])), /1 bytes after its 1 messages/)
  })
})

describe('payload frames in Redis', () => {
  let kafka: string
  let emulator: StarRocksEmulator
  let k2s: K2sUnderTest
  const payloadKeys = () => k2s.redis.keys(`${redisKeys(k2s.prefix).jobPayload('')}*`)

  before(async () => {
    ;({ kafka, emulator, k2s } = await startDataPath('payload'))
    await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
    await emulator.execute('CREATE TABLE dw.t (id BIGINT NOT NULL, v VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    await createTopic(kafka, 'app-t', 1)
    await k2s.store.saveInstance(instanceFor(emulator, { name: 't', kafkaBootstrap: kafka, topics: ['app-t'], mappingEnv: 'app', retryBackoffMs: 200, retryBackoffMaxMs: 500 }))
    await k2s.startNode()
  })

  after(() => stopDataPath({ emulator, k2s }))

  test('a frame lost while its job waits is cut again from Kafka and every row arrives once; none is left after the commit', async () => {
    const send = (from: number, to: number) =>
      produce(kafka, 'app-t', Array.from({ length: to - from + 1 }, (_, i) => ({ partition: 0, value: canal('INSERT', 'app', 't', [{ id: String(from + i), v: `v${from + i}` }]) })))
    emulator.faults.inject({ kind: 'down' })
    await send(1, 5)
    await k2s.store.startInstance('t')
    await eventually('the batch retrying', async () => (await k2s.activity.health('t')).attempts >= 1)
    // As a Redis that restarted without its last writes would have it: the job is there, its frame not.
    const [key, ...more] = await payloadKeys()
    assert.ok(key && more.length === 0, 'one batch in flight, one frame')
    await k2s.redis.del(key)
    emulator.faults.clear()
    await eventually('rows 1-5', () => emulator.rows('dw', 't').length === 5)
    await send(6, 8)
    await eventually('offset 8 committed', async () => (await committedOffsets(kafka, 'k2s-t', 'app-t')).get(0) === 8n)
    assert.deepEqual(emulator.rows('dw', 't').map((r) => Number(r.id)), [1, 2, 3, 4, 5, 6, 7, 8])
    assert.deepEqual(await payloadKeys(), [])
  })
})
