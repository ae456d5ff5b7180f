import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createAdminApp, type AuthOptions } from '../../api/app.ts'
import { ensureAdminUser } from '../../api/console-users.ts'
import { readLagRecord } from '../../src/observe/lag-record.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, k2sUnderTest, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * Is an instance stuck, and why? Lag in messages and in seconds (from canal's binlog time `es`),
 * the stalled state with its cause, and the same figures on /metrics, over real Kafka, Redis,
 * consumer nodes and the StarRocks emulator, read through the admin API.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest
let admin: ReturnType<typeof adminOn>
let token: string

const password = 'stuck-Admin-Pass-1234'
const metricsToken = 'metrics-Token-0123456789abcdef'

function adminOn(auth: Partial<AuthOptions>, on: K2sUnderTest = k2s) {
  const app = createAdminApp({
    redis: on.redis,
    keys: redisKeys(on.prefix),
    secrets: secretBox(randomBytes(32)),
    log: createLogger('stuck-test', { level: process.env.K2S_TEST_LOG_LEVEL ?? 'silent' }),
    auth: { adminUser: 'ops', adminPassword: password, ...auth },
    leaseMs: 1_500,
  })
  return async (path: string, bearer?: string, method = 'GET', body?: unknown) => {
    const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, text, json: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined, type: res.headers.get('content-type') }
  }
}

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('stuck'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await ensureAdminUser(k2s.redis, redisKeys(k2s.prefix), { adminUser: 'ops', adminPassword: password })
  admin = adminOn({ metricsToken })
  token = (await admin('/api/login', undefined, 'POST', { user: 'ops', password })).json.token
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

async function scenario(name: string, fields: Record<string, unknown> = {}) {
  await emulator.execute(`CREATE TABLE dw.${name} (id BIGINT NOT NULL, v VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  const topic = `app-${name}`
  await createTopic(kafka, topic, 1)
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app', ...fields }))
  const send = (es: number, ...ids: number[]) =>
    produce(kafka, topic, ids.map((id) => ({ partition: 0, value: canal('INSERT', 'app', name, [{ id: String(id), v: `v${id}` }], { es }) })))
  const status = async () => (await admin(`/api/instances/${name}/status`, token)).json
  const summary = async () => (await admin('/api/instances', token)).json.instances.find((i: { name: string }) => i.name === name)
  return { topic, send, status, summary, rows: () => emulator.rows('dw', name).length }
}

type Sample = { name: string; labels: Record<string, string>; value: number }

/** Parses the exposition format the way a scraper does; every sample must belong to a HELP/TYPE pair. */
function parseMetrics(text: string): Sample[] {
  const described = new Set<string>()
  const typed = new Set<string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\w+) (.*)$/.exec(line)
    if (meta) {
      ;(meta[1] === 'HELP' ? described : typed).add(meta[2]!)
      if (meta[1] === 'TYPE') assert.match(meta[3]!, /^(gauge|counter)$/)
      continue
    }
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m, `not a sample line: ${line}`)
    assert.ok(described.has(m[1]!) && typed.has(m[1]!), `${m[1]} without HELP and TYPE`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return samples
}

async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const res = await admin('/metrics', metricsToken)
  assert.equal(res.status, 200, res.text)
  return parseMetrics(res.text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}

describe('lag and stalls, as the API and /metrics show them', () => {
  test('lag in seconds comes from canal es; StarRocks down past stallAfterMs is stalled "retrying", and recovery clears it', async () => {
    const s = await scenario('slow_dw', { stallAfterMs: 1_500 })
    emulator.faults.inject({ kind: 'down' })
    const tenMinutesAgo = Date.now() - 600_000
    await s.send(tenMinutesAgo, 1, 2, 3)
    await k2s.store.startInstance('slow_dw')

    // A fetcher slower to start than stallAfterMs is stalled too, for another reason: wait for this one.
    await eventually('stalled, retrying, while StarRocks is down', async () => {
      const now = await s.status()
      return now.state === 'stalled' && /ECONNREFUSED/.test(now.reason)
    })
    const stalled = await s.status()
    // Stalled because loads keep failing: the failure itself is the reason, by its own code.
    assert.ok(['state.retrying', 'starrocks.unreachable'].includes(stalled.reasonCode), stalled.reasonCode)
    assert.ok(stalled.stalledForMs >= 1_500, `stalledForMs ${stalled.stalledForMs}`)
    assert.equal(stalled.lag.messages, 3)
    assert.ok(stalled.lag.seconds >= 600, `lag.seconds ${stalled.lag.seconds}`)
    const listed = await s.summary()
    assert.equal(listed.state, 'stalled')
    assert.equal(listed.lag.messages, 3)
    assert.ok(listed.lag.seconds >= 600)
    const [partition] = (await admin('/api/instances/slow_dw/lag', token)).json.partitions
    assert.equal(partition.lag, '3')
    assert.ok(partition.seconds >= 600, `partition seconds ${partition.seconds}`)

    assert.equal(await metric('k2s_instance_state', { instance: 'slow_dw', state: 'stalled' }), 1)
    assert.equal(await metric('k2s_instance_state', { instance: 'slow_dw', state: 'running' }), 0)
    assert.equal(await metric('k2s_instance_lag_messages', { instance: 'slow_dw', topic: s.topic, partition: '0' }), 3)
    assert.ok((await metric('k2s_instance_lag_seconds', { instance: 'slow_dw', topic: s.topic, partition: '0' }))! >= 600)
    assert.ok((await metric('k2s_instance_stalled_seconds', { instance: 'slow_dw' }))! >= 1.5)
    assert.ok((await metric('k2s_instance_failed_attempts_total', { instance: 'slow_dw' }))! >= 1)
    assert.equal(await metric('k2s_instance_rows_loaded_total', { instance: 'slow_dw' }), 0)

    emulator.faults.clear()
    await eventually('rows loaded', () => s.rows() === 3)
    await eventually('caught up and running', async () => {
      const now = await s.status()
      return now.state === 'running' && now.lag.messages === 0
    })
    const caughtUp = await s.status()
    assert.deepEqual(caughtUp.lag, { messages: 0, seconds: 0, stale: false })
    assert.equal(caughtUp.stalledForMs, 0)
    assert.ok(caughtUp.rowsPerSecond > 0, `rowsPerSecond ${caughtUp.rowsPerSecond}`)
    assert.equal(await metric('k2s_instance_state', { instance: 'slow_dw', state: 'running' }), 1)
    assert.equal(await metric('k2s_instance_state', { instance: 'slow_dw', state: 'stalled' }), 0)
    assert.equal(await metric('k2s_instance_rows_loaded_total', { instance: 'slow_dw' }), s.rows())
    assert.equal(await metric('k2s_instance_lag_seconds', { instance: 'slow_dw', topic: s.topic, partition: '0' }), 0)
    assert.equal(await metric('k2s_node_online', { node: 'node-1' }), 1)
    assert.equal(await metric('k2s_queue_jobs', { state: 'failed' }), 0)
  })

  test('no fetcher node takes it: stalled "no node", messages behind from Kafka, seconds unknown; a node taking it clears it', async () => {
    const s = await scenario('orphan', { stallAfterMs: 1_000, pinNode: 'node-that-never-comes' })
    await s.send(Date.now() - 60_000, 1, 2)
    await k2s.store.startInstance('orphan')
    await eventually('stalled with no node', async () => (await s.status()).state === 'stalled')
    const stalled = await s.status()
    assert.match(stalled.reason, /^no node: none of the 1 online fetcher nodes took it; check pinNode \/ pinCluster \(2 messages behind\)$/)
    assert.equal(stalled.runningOn, null)
    assert.deepEqual(stalled.lag, { messages: 2, seconds: null, stale: false })
    assert.equal((await admin('/api/instances/orphan/lag', token)).json.partitions[0].seconds, null)

    await k2s.store.saveInstance(instanceFor(emulator, { name: 'orphan', kafkaBootstrap: kafka, topics: [s.topic], mappingEnv: 'app', stallAfterMs: 1_000 }))
    await eventually('rows loaded by the node', () => s.rows() === 2)
    await eventually('running and caught up', async () => {
      const now = await s.status()
      return now.state === 'running' && now.lag.messages === 0 && now.lag.seconds === 0
    })
  })

  test('an instance that is caught up is never stalled, however long nothing arrives', async () => {
    const s = await scenario('idle', { stallAfterMs: 1_000 })
    await s.send(Date.now() - 3_600_000, 1, 2)
    await k2s.store.startInstance('idle')
    // Until the running fetcher's first lag record, the admin asks Kafka itself, and its answer can
    // be newer than the record that follows (read before the commit): watch from the first record
    // that saw the load.
    await eventually('caught up', async () => {
      const record = await readLagRecord(k2s.redis, redisKeys(k2s.prefix), 'idle')
      return s.rows() === 2 && record !== null && record.partitions.every((p) => p.lag === '0')
    })
    // Watch it for three stall thresholds with nothing arriving.
    const seen = new Set<string>()
    const until = Date.now() + 3_000
    while (Date.now() < until) {
      const now = await s.status()
      seen.add(`${now.state} ${JSON.stringify(now.lag)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.deepEqual([...seen], ['running {"messages":0,"seconds":0,"stale":false}'])
  })

  test('a stopped instance is stopped, not stalled, even when behind', async () => {
    const s = await scenario('parked', { stallAfterMs: 1_000 })
    await s.send(Date.now() - 60_000, 1)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const status = await s.status()
    assert.equal(status.state, 'stopped')
    assert.equal(status.stalledForMs, 0)
    assert.equal((await admin('/api/instances/parked/lag', token)).json.partitions[0].lag, '1')
  })
})

describe('a batch no loader takes', () => {
  test('with no loader node online the instance is stalled "paused"; a loader coming up clears it', async () => {
    // A deployment of its own: its only node fetches and does not load.
    const alone = await k2sUnderTest(await testRedisUrl(), testPrefix('stuck-paused'))
    try {
      await emulator.execute('CREATE TABLE dw.lonely (id BIGINT NOT NULL, v VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
      await createTopic(kafka, 'app-lonely', 1)
      await produce(kafka, 'app-lonely', [{ partition: 0, value: canal('INSERT', 'app', 'lonely', [{ id: '1', v: 'a' }]) }])
      await alone.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
      await alone.store.saveInstance(instanceFor(emulator, { name: 'lonely', kafkaBootstrap: kafka, topics: ['app-lonely'], mappingEnv: 'app', stallAfterMs: 1_000 }))
      await alone.store.startInstance('lonely')
      await alone.startNode({ name: 'fetch-only', loader: false })
      await ensureAdminUser(alone.redis, redisKeys(alone.prefix), { adminUser: 'ops', adminPassword: password })
      const call = adminOn({}, alone)
      const session = (await call('/api/login', undefined, 'POST', { user: 'ops', password })).json.token
      const status = async () => (await call('/api/instances/lonely/status', session)).json

      await eventually('stalled for want of a loader', async () => (await status()).reason.startsWith('paused'))
      assert.deepEqual([(await status()).state, (await status()).reason], ['stalled', 'paused: a batch waits for a loader and no loader node is online'])
      assert.equal(emulator.rows('dw', 'lonely').length, 0)

      await alone.startNode({ name: 'load-only', fetcher: false })
      await eventually('the row loaded', () => emulator.rows('dw', 'lonely').length === 1)
      await eventually('running and caught up', async () => {
        const now = await status()
        return now.state === 'running' && now.lag.messages === 0
      })
    } finally {
      await alone.close()
    }
  })
})

describe('who may scrape /metrics', () => {
  test('the metrics token or a console login; the metrics token opens nothing else', async () => {
    assert.equal((await admin('/metrics')).status, 401)
    assert.equal((await admin('/metrics', 'not-the-token-0000000000000000')).status, 401)
    const scraped = await admin('/metrics', metricsToken)
    assert.equal(scraped.status, 200)
    assert.equal(scraped.type, 'text/plain; version=0.0.4; charset=utf-8')
    assert.equal((await admin('/metrics', token)).status, 200)
    const other = await admin('/api/instances', metricsToken)
    assert.deepEqual([other.status, other.json], [403, { error: 'the metrics token may only read /metrics' }])
  })

  test('open to anyone only when configured so', async () => {
    const open = adminOn({ metricsPublic: true })
    const res = await open('/metrics')
    assert.equal(res.status, 200)
    assert.ok(parseMetrics(res.text).some((s) => s.name === 'k2s_node_online'))
    assert.equal((await open('/api/instances')).status, 401)
  })
})
