import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { recentLogs, redisLogSink, type LogSink } from '../../src/observe/log-store.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Quarantining writes a log line, in the node's log and in the instance's, with what was set aside,
 * where it was in Kafka and why: where an operator looks (the console's Log dialogs read these).
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest
let sink: LogSink

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('quarantine-log'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  sink = redisLogSink(k2s.redis, redisKeys(k2s.prefix), 'logged', { flushMs: 20 })
  await k2s.startNode({ name: 'logged', log: createLogger('k2s', { level: 'info', streams: [sink.stream] }) })
})

after(async () => {
  await stopDataPath({ emulator, k2s })
  await sink?.close()
})

test('each quarantined item is a warn line in the node log and the instance log, with its reason and offsets', async () => {
  await emulator.execute('CREATE TABLE dw.pets (id BIGINT NOT NULL, name VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  const topic = 'app-qlog'
  await createTopic(kafka, topic, 1)
  const produced = await produce(kafka, topic, [
    { partition: 0, value: canal('INSERT', 'app', 'pets', [{ id: '1', name: 'rex' }]) },
    { partition: 0, value: '{"data": [' },
    { partition: 0, value: canal('INSERT', 'app', 'ghosts', [{ id: '1' }]) },
  ])
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'qlog', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app' }))
  await k2s.store.startInstance('qlog')
  const end = (await endOffsets(kafka, topic)).get(0)
  await eventually('every offset committed', async () => (await committedOffsets(kafka, 'k2s-qlog', topic)).get(0) === end, 30_000)
  assert.deepEqual(emulator.rows('dw', 'pets'), [{ id: '1', name: 'rex' }])

  const keys = redisKeys(k2s.prefix)
  const quarantined = async (target: { node: string } | { instance: string }) =>
    (await recentLogs(k2s.redis, keys, target)).filter((l) => l.msg.startsWith('quarantined'))
  await eventually('two quarantine lines in the instance log', async () => (await quarantined({ instance: 'qlog' })).length === 2)
  const lines = (await quarantined({ instance: 'qlog' })).sort((a, b) => String(a.fields.firstOffset).localeCompare(String(b.fields.firstOffset)))
  assert.deepEqual(lines.map((l) => [l.level, l.node, l.msg]), [
    ['warn', 'logged', `quarantined an unreadable message: ${lines[0]!.fields.reason}`],
    ['warn', 'logged', 'quarantined 1 row of dw.ghosts: target table dw.ghosts does not exist'],
  ])
  assert.match(String(lines[0]!.fields.reason), /^invalid JSON/)
  assert.deepEqual(lines.map((l) => [l.fields.topic, l.fields.partition, l.fields.firstOffset]), [
    [topic, 0, String(produced[1]!.offset)],
    [topic, 0, String(produced[2]!.offset)],
  ])
  // The same lines in the node's log; the quarantined data itself is never logged.
  assert.equal((await quarantined({ node: 'logged' })).length, 2)
  assert.ok(!JSON.stringify(lines).includes('"data": ['))
})
