import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, produce } from '../harness/kafka-helpers.ts'
import { freePort } from '../harness/free-port.ts'
import { testKafkaBootstrap } from '../harness/kafka-broker.ts'
import { eventually } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * K2S as an operator runs it: `k2s admin` and two `k2s node` processes of the production build
 * (`npm run build`, dist/), driven only through the HTTP API. Start and stop really start and stop consuming; a killed node shows offline; no
 * response and no log line carries a password.
 */
const adminPassword = 'console-Pa55word'
const nodeToken = 'node-T0ken-for-registration'
const starrocksPassword = 'sr-Secret-4711'
const leaseMs = 2_000
const prefix = testPrefix('admin-process')
const logs: string[] = []
const children = new Map<string, ChildProcess>()
let kafka: string
let emulator: StarRocksEmulator
let api: string
let token = ''

function spawnK2s(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const file = join(tmpdir(), `${prefix.replace(/:/g, '-')}-${name}.log`)
  logs.push(file)
  const out = openSync(file, 'a')
  const child = spawn(process.execPath, ['dist/bin/main.js', ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...env } })
  children.set(name, child)
  return child
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  assert.ok(![starrocksPassword, adminPassword, nodeToken].some((secret) => text.includes(secret)), `${method} ${path} leaked a secret`)
  return { status: res.status, json: text ? JSON.parse(text) : null, text }
}

before(async () => {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
  kafka = await testKafkaBootstrap()
  emulator = await startStarRocksEmulator({ users: { root: '', loader: starrocksPassword } })
  await emulator.execute('CREATE DATABASE dw')
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, total DECIMAL(10,2)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  const port = await freePort()
  api = `http://127.0.0.1:${port}`
  const env = {
    K2S_REDIS_URL: await testRedisUrl(),
    K2S_REDIS_PREFIX: prefix,
    K2S_SECRET_KEY: randomBytes(32).toString('hex'),
    K2S_LEASE_MS: String(leaseMs),
    K2S_NODE_PORT: '0',
    K2S_LOG_LEVEL: 'debug',
  }
  spawnK2s('admin', ['admin'], { ...env, K2S_ADMIN_HOST: '127.0.0.1', K2S_ADMIN_PORT: String(port), K2S_ADMIN_PASSWORD: adminPassword, K2S_NODE_TOKEN: nodeToken })
  spawnK2s('node-a', ['node'], { ...env, K2S_NODE_NAME: 'node-a' })
  // node-b announces itself the seed's way: through the admin, with the node token.
  spawnK2s('node-b', ['node'], { ...env, K2S_NODE_NAME: 'node-b', K2S_ADMIN_MANAGER: `127.0.0.1:${port}`, K2S_NODE_TOKEN: nodeToken })
  await eventually('the admin API to answer', async () => (await fetch(`${api}/api/health`).catch(() => null))?.ok === true, 30_000)
})

after(async () => {
  for (const child of children.values()) child.kill('SIGKILL')
  await emulator?.close()
})

test('log in, map, configure, start, stop and start again: rows follow the operator', async () => {
  assert.equal((await call('GET', '/api/instances')).status, 401)
  const login = await fetch(`${api}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: adminPassword }) })
  assert.equal(login.status, 200)
  token = ((await login.json()) as { token: string }).token

  await eventually('both nodes online', async () => {
    const { json } = await call('GET', '/api/nodes')
    return json.nodes.filter((n: { status: string }) => n.status === 'online').length === 2
  })
  // The build carries the console's pages and the package's version.
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
  assert.ok((await call('GET', '/api/nodes')).json.nodes.every((n: { version: string }) => n.version === version))
  const page = await fetch(`${api}/ui/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<title>K2S console<\/title>/)

  const env = await call('POST', '/api/mapping-envs', { name: 'shop', rules: [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }] })
  assert.equal(env.status, 201, env.text)
  const topic = 'admin-shop'
  await createTopic(kafka, topic, 2)
  const instance = {
    name: 'shop',
    kafkaBootstrap: kafka,
    topics: [topic],
    mappingEnv: 'shop',
    jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHost: '127.0.0.1',
    feHttpPort: emulator.feHttpPort,
    userName: 'loader',
    passWord: starrocksPassword,
    consumerPolicy: 'E-C',
    commitBatch: 100,
    commitTimeout: 200,
  }
  const bad = await call('POST', '/api/instances', { ...instance, feHttpPort: 'eighty' })
  assert.equal(bad.status, 400)
  assert.deepEqual(bad.json.issues.map((i: { path: string }) => i.path), ['feHttpPort'])
  assert.equal((await call('POST', '/api/instances', instance)).status, 201)
  const read = await call('GET', '/api/instances/shop')
  assert.equal(read.json.passWordSet, true)
  assert.equal(read.json.passWord, undefined)

  const order = (id: number, total: string) => ({ partition: id % 2, value: canal('INSERT', 'shop', 'orders', [{ id: String(id), total }]) })
  await produce(kafka, topic, [order(1, '10.00'), order(2, '20.00')])
  assert.equal((await call('POST', '/api/instances/shop/start')).status, 200)
  await eventually('orders 1 and 2', () => emulator.rows('dw', 'orders').length === 2, 30_000)
  await eventually('loadedRows counted', async () => (await call('GET', '/api/instances/shop/status')).json.counters?.loadedRows === 2)
  const running = (await call('GET', '/api/instances/shop/status')).json
  assert.equal(running.state, 'running')
  assert.match(running.runningOn, /^node-[ab]$/)
  assert.ok(running.lastLoadAt, 'last load time reported')
  await eventually('no lag once committed', async () => (await call('GET', '/api/instances/shop/lag')).json.partitions.every((p: { lag: string }) => p.lag === '0'))

  assert.equal((await call('POST', '/api/instances/shop/stop')).status, 200)
  await eventually('no node runs the instance', async () => {
    const { json } = await call('GET', '/api/nodes')
    return json.nodes.every((n: { instances: string[] }) => n.instances.length === 0)
  })
  const committedAtStop = await committedOffsets(kafka, 'k2s-shop', topic)
  await produce(kafka, topic, [order(3, '30.00')])
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  assert.equal(emulator.rows('dw', 'orders').length, 2, 'a stopped instance does not consume')
  assert.deepEqual(await committedOffsets(kafka, 'k2s-shop', topic), committedAtStop)
  assert.equal((await call('GET', '/api/instances/shop/status')).json.state, 'stopped')
  const lag = (await call('GET', '/api/instances/shop/lag')).json.partitions
  assert.deepEqual(lag.map((p: { partition: number; lag: string }) => [p.partition, p.lag]), [[0, '0'], [1, '1']])

  assert.equal((await call('POST', '/api/instances/shop/start')).status, 200)
  await eventually('order 3 after the restart', () => emulator.rows('dw', 'orders').length === 3, 30_000)
  assert.deepEqual(emulator.rows('dw', 'orders').map((r) => r.total), ['10.00', '20.00', '30.00'])

  const owner = (await call('GET', '/api/nodes')).json.nodes.find((n: { instances: string[] }) => n.instances.includes('shop')).name
  children.get(owner)!.kill('SIGKILL')
  await eventually(`${owner} offline`, async () => (await call('GET', '/api/nodes')).json.nodes.find((n: { name: string }) => n.name === owner).status === 'offline', 4 * leaseMs + 5_000)
  await produce(kafka, topic, [order(4, '40.00')])
  await eventually('order 4 loaded by the other node', () => emulator.rows('dw', 'orders').length === 4, 40_000)

  for (const file of logs) {
    const text = readFileSync(file, 'utf8')
    assert.ok(text.length > 0, `${file} is empty`)
    assert.ok(!text.includes(starrocksPassword), `${file} logged the StarRocks password`)
    assert.ok(!text.includes(adminPassword), `${file} logged the console password`)
    assert.ok(!text.includes(nodeToken), `${file} logged the node token`)
  }
})
