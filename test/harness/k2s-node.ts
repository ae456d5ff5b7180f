import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { startConsumerNode, type ConsumerNode } from '../../bin/consumer-node.ts'
import type { InstanceConfigInput, MappingEnvInput } from '../../src/instances/config.ts'
import { instanceActivity, type InstanceActivity } from '../../src/instances/instance-activity.ts'
import { instanceStore, type InstanceStore } from '../../src/instances/instance-store.ts'
import { createLogger, type Logger } from '../../src/observe/logger.ts'
import type { NodePresence } from '../../src/nodes/node-presence.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { testKafkaBootstrap } from './kafka-broker.ts'
import { testPrefix, testRedisUrl } from './redis-server.ts'

/**
 * K2S as a test drives it: consumer nodes in this process on a Redis prefix of the test's own,
 * plus the store and activity views an operator would use.
 */
export type K2sUnderTest = {
  prefix: string
  store: InstanceStore
  activity: InstanceActivity
  redis: Redis
  /** `log`: where the node logs (default: silent, or K2S_TEST_LOG_LEVEL). */
  startNode(opts?: { name?: string; cluster?: string; fetcher?: boolean; loader?: boolean; loaderConcurrency?: number; leaseMs?: number; log?: Logger; presence?: NodePresence }): Promise<ConsumerNode>
  close(): Promise<void>
}

/** `secretKey` is shared with an admin server when the test runs one on the same prefix. */
export async function k2sUnderTest(redisUrl: string, prefix: string, secretKey = randomBytes(32)): Promise<K2sUnderTest> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null })
  const keys = redisKeys(prefix)
  const nodes: ConsumerNode[] = []
  return {
    prefix,
    redis,
    store: instanceStore(redis, keys, secretBox(secretKey)),
    activity: instanceActivity(redis, keys),
    async startNode(opts = {}) {
      const node = await startConsumerNode({
        redisUrl,
        prefix,
        secretKey,
        log: opts.log ?? createLogger('k2s-test', { level: process.env.K2S_TEST_LOG_LEVEL ?? 'silent' }),
        node: { name: opts.name ?? `node-${nodes.length + 1}`, address: '127.0.0.1', port: 0, cluster: opts.cluster ?? '', version: 'test' },
        fetcher: opts.fetcher ?? true,
        loader: opts.loader ?? true,
        loaderConcurrency: opts.loaderConcurrency,
        // Short leases keep takeovers and reconcile ticks quick in tests.
        leaseMs: opts.leaseMs ?? 1_500,
        presence: opts.presence,
      })
      nodes.push(node)
      return node
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()))
      redis.disconnect()
    },
  }
}

/** What a data-path test file runs against: the shared Kafka, an emulator with database `dw`, K2S. */
export type DataPath = { kafka: string; emulator: StarRocksEmulator; k2s: K2sUnderTest }

export async function startDataPath(name: string, emulatorOptions: Parameters<typeof startStarRocksEmulator>[0] = {}): Promise<DataPath> {
  const kafka = await testKafkaBootstrap()
  const emulator = await startStarRocksEmulator(emulatorOptions)
  const k2s = await k2sUnderTest(await testRedisUrl(), testPrefix(name))
  await emulator.execute('CREATE DATABASE dw')
  return { kafka, emulator, k2s }
}

/** For `after`: tolerates a `before` that failed half-way. */
export async function stopDataPath(d: Partial<DataPath>): Promise<void> {
  d.emulator?.faults.clear()
  await d.k2s?.close()
  await d.emulator?.close()
}

/** An instance config pointing at the emulator, with test-friendly batch limits. */
export function instanceFor(emulator: StarRocksEmulator, fields: Partial<InstanceConfigInput> & Pick<InstanceConfigInput, 'name' | 'kafkaBootstrap' | 'topics' | 'mappingEnv'>): InstanceConfigInput {
  return {
    jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHost: '127.0.0.1',
    feHttpPort: emulator.feHttpPort,
    userName: 'root',
    passWord: '',
    consumerPolicy: 'E-C',
    commitBatch: 1000,
    commitTimeout: 200,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 500,
    loadTimeoutMs: 5_000,
    ...fields,
  }
}

export function mappingEnv(name: string, rules: MappingEnvInput['rules']): MappingEnvInput {
  return { name, rules }
}

/** Polls `probe` until it returns true; fails with `what` and the last value seen. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
