import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createAdminApp } from '../../api/app.ts'
import { ensureAdminUser } from '../../api/console-users.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { freePorts } from '../harness/free-port.ts'
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, k2sUnderTest, mappingEnv, type K2sUnderTest } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * The state a user sees never lies (issue #16): over a real Kafka broker that is stopped and
 * started again, an address where nothing listens, the StarRocks emulator going away, real Redis
 * and consumer nodes, read through the admin API as the console reads it, sampled over time.
 */
let broker: KafkaBroker
let emulator: StarRocksEmulator
let k2s: K2sUnderTest
let api: (path: string, method?: string) => Promise<any>

const password = 'truth-Admin-Pass-1234'

before(async () => {
  ;[broker, emulator] = await Promise.all([startKafkaBroker(), startStarRocksEmulator()])
  await emulator.execute('CREATE DATABASE dw')
  k2s = await k2sUnderTest(await testRedisUrl(), testPrefix('state-truth'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await ensureAdminUser(k2s.redis, redisKeys(k2s.prefix), { adminUser: 'ops', adminPassword: password })
  const app = createAdminApp({
    redis: k2s.redis,
    keys: redisKeys(k2s.prefix),
    secrets: secretBox(randomBytes(32)),
    log: createLogger('truth-test', { level: process.env.K2S_TEST_LOG_LEVEL ?? 'silent' }),
    auth: { adminUser: 'ops', adminPassword: password },
    leaseMs: 1_500,
  })
  const login = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ops', password }) })
  const { token } = (await login.json()) as { token: string }
  api = async (path, method = 'GET') => (await app.request(path, { method, headers: { authorization: `Bearer ${token}` } })).json()
  await k2s.startNode({ name: 'node-a' })
})

after(async () => {
  await k2s?.close()
  await Promise.all([broker?.close(), emulator?.close()])
})

type Seen = { at: number; state: string; reason: string; reasonCode: string; runningOn: string | null }

/** The states the API showed, one look every 250 ms, for `ms`. */
async function watch(name: string, ms: number): Promise<Seen[]> {
  const seen: Seen[] = []
  const start = Date.now()
  while (Date.now() - start < ms) {
    const s = await api(`/api/instances/${name}/status`)
    seen.push({ at: Date.now() - start, state: s.state, reason: s.reason, reasonCode: s.reasonCode, runningOn: s.runningOn })
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return seen
}

const states = (seen: Seen[]) => [...new Set(seen.map((s) => s.state))]

test('a Kafka where nothing listens: retrying with the reason within seconds, and it stays retrying', async () => {
  const [deadPort] = await freePorts(1)
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'nowhere', kafkaBootstrap: `127.0.0.1:${deadPort}`, topics: ['t'], mappingEnv: 'app' }))
  await k2s.store.startInstance('nowhere')
  const seen = await watch('nowhere', 20_000)
  const first = seen.findIndex((s) => s.state === 'retrying')
  assert.ok(first >= 0 && seen[first]!.at < 5_000, `retrying within 5 s; saw ${JSON.stringify(seen.slice(0, 12))}`)
  // Never running, and after the first retrying nothing else: no hopping to failed, starting or another node.
  assert.ok(!seen.some((s) => s.state === 'running'), 'never running')
  assert.deepEqual(states(seen.slice(first)), ['retrying'])
  assert.deepEqual([...new Set(seen.slice(first).map((s) => s.runningOn))], ['node-a'])
  const last = seen.at(-1)!
  assert.equal(last.reasonCode, 'kafka.unreachable')
  assert.equal(last.reason, `unreachable: Kafka at 127.0.0.1:${deadPort} did not answer (ECONNREFUSED)`)
  // Stopped is stopped, whatever the last failure was.
  await k2s.store.stopInstance('nowhere')
  await eventually('stopped', async () => (await api('/api/instances/nowhere/status')).state === 'stopped')
  assert.equal((await api('/api/instances/nowhere/status')).reason, '')
})

test('running only once the consumer joined and fetched; a stopped broker shows retrying, and running again once it is back', async () => {
  await createTopic(broker.bootstrap, 'orders', 2)
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, v VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'orders', kafkaBootstrap: broker.bootstrap, topics: ['orders'], mappingEnv: 'app' }))
  await k2s.store.startInstance('orders')
  const early = await watch('orders', 1_500)
  // Holding a lease is not running: the first looks are starting, with what it waits for.
  assert.equal(early[0]!.state, 'starting')
  assert.match(early[0]!.reason, /waiting for a fetcher node|connecting to Kafka/)
  await eventually('running', async () => (await api('/api/instances/orders/status')).state === 'running', 30_000)
  await produce(broker.bootstrap, 'orders', [{ value: canal('INSERT', 'app', 'orders', [{ id: '1', v: 'a' }]) }])
  await eventually('the row loaded', async () => emulator.rows('dw', 'orders').length === 1)

  await broker.stop()
  const down = await watch('orders', 20_000)
  const first = down.findIndex((s) => s.state === 'retrying')
  assert.ok(first >= 0 && down[first]!.at < 10_000, `retrying within 10 s of the broker stopping; saw ${JSON.stringify(down.filter((_, i) => i % 4 === 0))}`)
  assert.deepEqual(states(down.slice(first)), ['retrying'], JSON.stringify(down.slice(first).filter((s) => s.state !== 'retrying')))
  assert.equal(down.at(-1)!.reasonCode, 'kafka.unreachable')
  assert.equal(down.at(-1)!.reason, `unreachable: Kafka at ${broker.bootstrap} did not answer (ECONNREFUSED)`)

  await broker.start()
  await eventually('running again', async () => (await api('/api/instances/orders/status')).state === 'running', 60_000)
  await produce(broker.bootstrap, 'orders', [{ value: canal('INSERT', 'app', 'orders', [{ id: '2', v: 'b' }]) }])
  await eventually('the next row loaded', async () => emulator.rows('dw', 'orders').length === 2, 30_000)
})

test('a StarRocks FE that cannot be reached shows retrying with the reason, with or without rows to load', async () => {
  await eventually('orders running', async () => (await api('/api/instances/orders/status')).state === 'running', 30_000)
  const fe = emulator.feHttpPort
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'orders', kafkaBootstrap: broker.bootstrap, topics: ['orders'], mappingEnv: 'app', feHttpPort: (await freePorts(1))[0]! }))
  const seen = await watch('orders', 12_000)
  // The saved config restarts the fetcher (starting, or a loader's retry, may come first); once the
  // new fetcher finds the FE out of reach, the state says so and stays put.
  const first = seen.findIndex((s) => s.state === 'retrying' && s.reasonCode === 'starrocks.unreachable')
  assert.ok(first >= 0 && seen[first]!.at < 8_000, `retrying within seconds; saw ${JSON.stringify(seen.filter((_, i) => i % 4 === 0))}`)
  assert.deepEqual(states(seen.slice(first)), ['retrying'])
  assert.equal(seen.at(-1)!.reasonCode, 'starrocks.unreachable')
  assert.match(seen.at(-1)!.reason, /StarRocks FE at 127\.0\.0\.1:\d+ cannot be reached: .*ECONNREFUSED/)
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'orders', kafkaBootstrap: broker.bootstrap, topics: ['orders'], mappingEnv: 'app', feHttpPort: fe }))
  await eventually('running with the FE back', async () => (await api('/api/instances/orders/status')).state === 'running', 30_000)
})
