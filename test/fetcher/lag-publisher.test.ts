import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { startLagPublisher } from '../../src/fetcher/lag-publisher.ts'
import { canalEventTime } from '../../src/formats/canal/canal-message.ts'
import { lagPublishMs, readLagRecord } from '../../src/observe/lag-record.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { testKafkaBootstrap } from '../harness/kafka-broker.ts'
import { eventually } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * The record a fetcher publishes of its instance's lag, over real Kafka and Redis. The admin shows
 * it to operators; it is written every lagPublishMs, and soon after each commit.
 */
let kafka: string
let redis: Redis
let admin: Admin
const keys = redisKeys(testPrefix('lag-publisher'))

before(async () => {
  kafka = await testKafkaBootstrap()
  redis = new Redis(await testRedisUrl())
  admin = new Kafka({ brokers: [kafka], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
})

after(async () => {
  await admin.disconnect()
  redis.disconnect()
})

test('after a commit the record is read from Kafka again at once, not at the next periodic publish', async () => {
  const topic = 'lag-publisher-commit'
  await createTopic(kafka, topic, 1)
  await produce(kafka, topic, [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }])
  const record = () => readLagRecord(redis, keys, 'commit')
  const publisher = await startLagPublisher({
    redis,
    keys,
    admin,
    instance: 'commit',
    groupId: 'k2s-lag-publisher-commit',
    topics: [topic],
    node: 'node-1',
    epoch: 0,
    startedAt: Date.now(),
    eventTime: canalEventTime,
    source: { oldest: () => null, inFlight: () => false },
    log: createLogger('lag-publisher-test', { level: 'silent' }),
  })
  try {
    await eventually('the first record', async () => (await record()) !== null)
    const first = (await record())!
    assert.deepEqual(first.partitions.map((p) => [p.committed, p.end, p.lag]), [[null, '2', '2']])

    // What the commit moved is Kafka's business; a message produced meanwhile shows the read is new.
    // (Committing for the group from here takes seconds: kafkajs' setOffsets joins the group.)
    await produce(kafka, topic, [{ partition: 0, value: 'c' }])
    publisher.committed()
    await eventually('a record read after the commit', async () => (await record())!.partitions[0]!.end === '3')
    const next = (await record())!
    assert.equal(next.partitions[0]!.lag, '3')
    assert.ok(next.at - first.at < lagPublishMs, `published ${next.at - first.at} ms after the first record`)
  } finally {
    await publisher.stop()
  }
})
