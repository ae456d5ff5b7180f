import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { startKafkaBroker, testKafkaBootstrap, type KafkaBroker } from './kafka-broker.ts';
import { committedOffsets, createTopic, endOffsets, produce } from './kafka-helpers.ts';
import { startRedisServer, testPrefix, testRedisUrl } from './redis-server.ts';

// A broker of its own: these tests stop and restart it, which the shared one must never see.
describe('Kafka broker harness', { timeout: 120_000 }, () => {
  let broker: KafkaBroker;
  const topic = 'harness';
  const groupId = 'harness-group';

  before(async () => {
    broker = await startKafkaBroker();
  });
  after(() => broker?.close());

  test('a consumer group reads produced messages and commits, and the helpers see it', async () => {
    await createTopic(broker.bootstrap, topic, 2);
    const produced = await produce(broker.bootstrap, topic, [
      { partition: 0, value: 'a' },
      { partition: 1, key: 'k', value: 'b' },
      { partition: 1, value: null },
    ]);
    assert.deepEqual(produced, [
      { partition: 0, offset: 0n },
      { partition: 1, offset: 0n },
      { partition: 1, offset: 1n },
    ]);
    assert.deepEqual(await endOffsets(broker.bootstrap, topic), new Map([[0, 1n], [1, 2n]]));

    const consumer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }: EachMessagePayload) => {
            seen.push(`${partition}:${message.offset}:${message.value?.toString() ?? 'null'}`);
            await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
            if (seen.length === 3) resolve();
          },
        });
      });
      assert.deepEqual(seen.sort(), ['0:0:a', '1:0:b', '1:1:null']);
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(await committedOffsets(broker.bootstrap, groupId, topic), new Map([[0, 1n], [1, 2n]]));
    assert.deepEqual(await committedOffsets(broker.bootstrap, 'nobody', topic), new Map([[0, null], [1, null]]));
  });

  test('a stopped broker refuses writes; restarted, it has kept its data and takes writes again', async () => {
    // No retries: the point is to see the write fail, not to wait for the broker to come back.
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 });
    const producer = kafka.producer();
    await producer.connect();
    await broker.stop();
    await assert.rejects(producer.send({ topic, messages: [{ partition: 0, value: 'lost' }] }));
    await producer.disconnect();

    await broker.start();
    assert.deepEqual(await endOffsets(broker.bootstrap, topic), new Map([[0, 1n], [1, 2n]]));
    assert.deepEqual(await committedOffsets(broker.bootstrap, groupId, topic), new Map([[0, 1n], [1, 2n]]));
    assert.deepEqual(await produce(broker.bootstrap, topic, [{ partition: 0, value: 'c' }]), [{ partition: 0, offset: 1n }]);
  });
});

describe('Redis server harness', { timeout: 30_000 }, () => {
  test('with appendonly, a key survives a stop and start', async () => {
    const server = await startRedisServer({ appendonly: true });
    try {
      await withRedis(server.url, (redis) => redis.set('kept', 'yes'));
      await server.stop();
      await assert.rejects(withRedis(server.url, (redis) => redis.ping()));
      await server.start();
      assert.equal(await withRedis(server.url, (redis) => redis.get('kept')), 'yes');
    } finally {
      await server.close();
    }
  });
});

test('the shared test servers answer', { timeout: 120_000 }, async () => {
  const key = `${testPrefix('harness')}:ping`;
  await withRedis(await testRedisUrl(), async (redis) => {
    await redis.set(key, '1', 'EX', 60);
    assert.equal(await redis.get(key), '1');
  });
  const topic = `harness-shared-${Date.now()}`;
  const bootstrap = await testKafkaBootstrap();
  await createTopic(bootstrap, topic, 1);
  await produce(bootstrap, topic, [{ value: 'x' }, { key: 'k', value: 'y' }]);
  assert.deepEqual(await endOffsets(bootstrap, topic), new Map([[0, 2n]]));
});


/** One short-lived connection that fails at once instead of reconnecting forever. */
async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Failures reach the caller through the rejected promise; ioredis would also print them.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
