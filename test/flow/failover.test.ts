import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce, type TestMessage } from '../harness/kafka-helpers.ts'
import { testKafkaBootstrap } from '../harness/kafka-broker.ts'
import { eventually, instanceFor, mappingEnv } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'
import { instanceActivity } from '../../src/instances/instance-activity.ts'
import { instanceLeases } from '../../src/instances/instance-lease.ts'
import { instanceStore } from '../../src/instances/instance-store.ts'
import { nodeRegistry } from '../../src/nodes/node-registry.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'

/**
 * Two `k2s node` processes; the one running the instance is killed with SIGKILL in the middle of
 * the stream. The other takes the instance over from the committed offsets and the recorded batch
 * ranges: the final tables equal a replay, and the append-only ledger holds every entry once.
 */
const leaseMs = 2_000
let kafka: string
let redisUrl: string
let emulator: StarRocksEmulator
let redis: Redis
const prefix = testPrefix('failover')
const secretKey = randomBytes(32)
const children = new Map<string, ChildProcess>()

before(async () => {
  kafka = await testKafkaBootstrap()
  redisUrl = await testRedisUrl()
  redis = new Redis(redisUrl)
  emulator = await startStarRocksEmulator()
  await emulator.execute('CREATE DATABASE dw')
  await emulator.execute('CREATE TABLE dw.stock (id BIGINT NOT NULL, qty BIGINT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2')
  await emulator.execute('CREATE TABLE dw.moves (id BIGINT NOT NULL, item BIGINT, qty BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2')
})

after(async () => {
  for (const child of children.values()) child.kill('SIGKILL')
  redis?.disconnect()
  await emulator?.close()
})

function startNode(name: string): ChildProcess {
  const log = openSync(join(tmpdir(), `${prefix.replace(/:/g, '-')}-${name}.log`), 'a')
  const child = spawn(process.execPath, ['bin/k2s.mjs', 'node'], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      K2S_REDIS_URL: redisUrl,
      K2S_REDIS_PREFIX: prefix,
      K2S_SECRET_KEY: secretKey.toString('hex'),
      K2S_NODE_NAME: name,
      K2S_NODE_PORT: '0',
      K2S_LEASE_MS: String(leaseMs),
      K2S_LOG_LEVEL: 'info',
    },
  })
  children.set(name, child)
  return child
}

test('a node killed mid-stream: another takes its instance over, and the result equals a replay', async () => {
  const keys = redisKeys(prefix)
  const store = instanceStore(redis, keys, secretBox(secretKey))
  const topic = 'stock-binlog'
  await createTopic(kafka, topic, 4)
  await store.saveMappingEnv(mappingEnv('stock', [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }]))
  await store.saveInstance(instanceFor(emulator, { name: 'stock', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'stock', commitBatch: 10, commitTimeout: 100 }))
  await store.startInstance('stock')

  const stock = new Map<number, number>()
  let moveId = 0
  const wave = (count: number): TestMessage[] =>
    Array.from({ length: count }, () => {
      const item = (moveId * 7) % 20
      const qty = (stock.get(item) ?? 0) + 1
      const type = stock.has(item) ? 'UPDATE' : 'INSERT'
      const old = stock.has(item) ? [{ qty: String(stock.get(item)) }] : undefined
      stock.set(item, qty)
      moveId++
      return [
        { partition: item % 4, value: canal(type, 'shop', 'stock', [{ id: String(item), qty: String(qty) }], { old }) },
        { partition: item % 4, value: canal('INSERT', 'shop', 'moves', [{ id: String(moveId), item: String(item), qty: '1' }]) },
      ]
    }).flat()

  startNode('node-a')
  startNode('node-b')
  const leases = instanceLeases(redis, keys, leaseMs)
  await eventually('a node to claim the instance', async () => (await leases.owner('stock')) !== null, 30_000)
  await produce(kafka, topic, wave(150))
  await eventually('some rows loaded', () => emulator.rows('dw', 'moves').length > 0, 30_000)

  const victim = (await leases.owner('stock'))!
  children.get(victim)!.kill('SIGKILL')
  await produce(kafka, topic, wave(150))

  const survivor = victim === 'node-a' ? 'node-b' : 'node-a'
  await eventually('the survivor to take the instance over', async () => (await leases.owner('stock')) === survivor, 4 * leaseMs + 5_000)
  const ends = await endOffsets(kafka, topic)
  await eventually(
    'every partition committed to its end',
    async () => {
      const committed = await committedOffsets(kafka, 'k2s-stock', topic)
      return [...ends].every(([p, end]) => (committed.get(p) ?? 0n) === end)
    },
    90_000,
  )

  const expected = [...stock].sort(([a], [b]) => a - b).map(([id, qty]) => ({ id: String(id), qty: String(qty) }))
  assert.deepEqual(emulator.rows('dw', 'stock'), expected)
  const moves = emulator.rows('dw', 'moves')
  assert.equal(new Set(moves.map((m) => m.id)).size, moveId, 'every move loaded')
  assert.equal(moves.length, moveId, 'no move loaded twice')
  assert.deepEqual(await instanceActivity(redis, keys).quarantined('stock'), [])

  const nodes = await nodeRegistry(redis, keys, leaseMs).list()
  assert.deepEqual(nodes.map((n) => [n.name, n.online]), [['node-a', survivor === 'node-a'], ['node-b', survivor === 'node-b']])
  assert.deepEqual(nodes.find((n) => n.name === survivor)?.instances, ['stock'])
})
