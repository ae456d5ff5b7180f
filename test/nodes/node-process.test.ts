import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { createTopic } from '../harness/kafka-helpers.ts'
import { freePorts } from '../harness/free-port.ts'
import { testKafkaBootstrap } from '../harness/kafka-broker.ts'
import { eventually } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * Nodes and the `k2s` command as an operator meets them, as real processes (bin/k2s.mjs) on a real
 * Redis and Kafka: a node the admin refused runs nothing; the port a node is listed with answers
 * health and log requests; a taken port is a sentence, not a stack; `k2s all` says where the
 * console is and does not ask for a node token it does not need; `k2s instance list|status|delete`.
 */
const run = promisify(execFile)
const adminPassword = 'node-proc-Admin-Pa55'
const nodeToken = 'node-proc-Token-abcdef0123'
const prefix = testPrefix('node-process')
const leaseMs = 2_000
const children: ChildProcess[] = []
let env: Record<string, string>
let api = ''
let token = ''
let kafka: string
let emulator: StarRocksEmulator

type Proc = { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function k2s(args: string[], extra: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['bin/k2s.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, ...extra } })
  children.push(child)
  let text = ''
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => text, exited }
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/k2s.mjs', ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}

before(async () => {
  kafka = await testKafkaBootstrap()
  emulator = await startStarRocksEmulator()
  await emulator.execute('CREATE DATABASE dw')
  const [adminPort] = await freePorts(1)
  api = `http://127.0.0.1:${adminPort}`
  env = { K2S_REDIS_URL: await testRedisUrl(), K2S_REDIS_PREFIX: prefix, K2S_SECRET_KEY: randomBytes(32).toString('hex'), K2S_LEASE_MS: String(leaseMs), K2S_LOG_LEVEL: 'info' }
  k2s(['admin'], { K2S_ADMIN_HOST: '127.0.0.1', K2S_ADMIN_PORT: String(adminPort), K2S_ADMIN_PASSWORD: adminPassword, K2S_NODE_TOKEN: nodeToken })
  await eventually('the admin to answer', async () => (await fetch(`${api}/api/health`).catch(() => null))?.ok === true, 30_000)
  token = ((await (await fetch(`${api}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: adminPassword }) })).json()) as { token: string }).token
})

after(async () => {
  for (const child of children) child.kill('SIGKILL')
  await emulator?.close()
})

test('a node the admin refused (a seed consumer.properties with a wrong password) runs nothing; a registered one does', async () => {
  const [refusedPort] = await freePorts(1)
  const properties = join(tmpdir(), `${prefix.replace(/:/g, '-')}-consumer.properties`)
  // The seed's own file, as a seed user has it: the admin's password is not this admin's node token.
  writeFileSync(properties, [
    `canal.admin.manager = ${api.replace('http://', '')}`,
    'canal.admin.user = admin',
    'canal.admin.passwd = 123456',
    `server.port = ${refusedPort}`,
    'canal.register.ip = 127.0.0.1',
    'canal.admin.register.auto = true',
    'canal.admin.register.name = refused',
  ].join('\n'))
  const refused = k2s(['node', '--config', properties])
  await createTopic(kafka, 'np-orders', 1)
  await call('POST', '/api/mapping-envs', { name: 'np', rules: [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }] })
  const created = await call('POST', '/api/instances', {
    name: 'np', kafkaBootstrap: kafka, topics: ['np-orders'], mappingEnv: 'np', jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHost: '127.0.0.1', feHttpPort: emulator.feHttpPort, userName: 'root', passWord: '', consumerPolicy: 'E-C', commitBatch: 100, commitTimeout: 200,
  })
  assert.equal(created.config?.name, 'np', JSON.stringify(created))
  await call('POST', '/api/instances/np/start')
  // The refused node answers on its port that it runs nothing, and is on no list.
  await eventually('the refused node to answer on its port', async () => (await fetch(`http://127.0.0.1:${refusedPort}/health`).catch(() => null)) !== null, 30_000)
  for (let i = 0; i < 12; i++) {
    const health = await fetch(`http://127.0.0.1:${refusedPort}/health`)
    assert.equal(health.status, 503)
    assert.equal(((await health.json()) as { registered: boolean }).registered, false)
    const status = await call('GET', '/api/instances/np/status')
    assert.equal(status.runningOn, null, 'a refused node claims nothing')
    assert.notEqual(status.state, 'running')
    assert.deepEqual((await call('GET', '/api/nodes')).nodes.map((n: { name: string }) => n.name), [])
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const status = await call('GET', '/api/instances/np/status')
  assert.deepEqual([status.state, status.reasonCode], ['failed', 'state.no_fetcher_node'])
  // Said once, with what to fix, not every few seconds.
  const lines = refused.output().split('\n').filter((l) => l.includes('refused the registration'))
  assert.equal(lines.length, 1, refused.output())
  assert.match(lines[0]!, /node token .*runs nothing/)

  const good = k2s(['node'], { K2S_NODE_NAME: 'good', K2S_NODE_PORT: '0', K2S_REGISTER_IP: '127.0.0.1', K2S_ADMIN_MANAGER: api, K2S_NODE_TOKEN: nodeToken })
  await eventually('the registered node runs it', async () => (await call('GET', '/api/instances/np/status')).state === 'running', 40_000)
  assert.equal((await call('GET', '/api/instances/np/status')).runningOn, 'good')

  // The port the console lists for a node is one that answers: its health, and its log with the node token.
  const listed = (await call('GET', '/api/nodes')).nodes
  assert.deepEqual(listed.map((n: { name: string }) => n.name), ['good'])
  const { address, port } = listed[0]
  assert.ok(port > 0)
  const health = await fetch(`http://${address}:${port}/health`)
  assert.equal(health.status, 200)
  const body = (await health.json()) as { name: string; registered: boolean; instances: string[]; roles: string[] }
  assert.deepEqual([body.name, body.registered, body.instances, body.roles], ['good', true, ['np'], ['fetcher', 'loader']])
  assert.equal((await fetch(`http://${address}:${port}/logs`)).status, 401)
  const logs = (await (await fetch(`http://${address}:${port}/logs?limit=50`, { headers: { authorization: `Bearer ${nodeToken}` } })).json()) as { logs: { msg: string }[] }
  assert.ok(logs.logs.some((l) => l.msg === 'instance claimed'), JSON.stringify(logs.logs.map((l) => l.msg)))
  assert.ok(!JSON.stringify(logs).includes(nodeToken))

  // A taken port: one sentence naming the setting, exit code 2, no stack trace.
  const clash = k2s(['node'], { K2S_NODE_NAME: 'clash', K2S_NODE_PORT: String(port) })
  assert.equal(await clash.exited, 2)
  assert.match(clash.output(), new RegExp(`port ${port} is taken by another process: choose the node's port with K2S_NODE_PORT`))
  assert.doesNotMatch(clash.output(), /EADDRINUSE|\n\s+at /)
  good.child.kill('SIGTERM')
  await good.exited
})

test('k2s instance list, status on a stopped instance, delete; mapping list and delete', async () => {
  await call('POST', '/api/instances/np/stop')
  await eventually('stopped', async () => (await call('GET', '/api/instances/np/status')).state === 'stopped')
  const list = await cli('instance', 'list')
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /^NAME\s+DESIRED\s+STATE\s+NODE\s+LAG\s+REASON\n/)
  assert.match(list.stdout, /\nnp\s+stopped\s+stopped\s+-\s/)
  const status = await cli('instance', 'status', 'np')
  const parsed = JSON.parse(status.stdout) as Record<string, unknown>
  assert.deepEqual([parsed.desired, parsed.state, parsed.reason], ['stopped', 'stopped', ''])
  assert.equal(parsed.health, undefined, 'a stopped instance reports no health of a run that is over')
  assert.match((await cli('mapping', 'list')).stdout, /^np\t1 rules\tused by np$/m)
  const inUse = await cli('mapping', 'delete', 'np')
  assert.deepEqual([inUse.code, inUse.stderr.trim()], [1, 'mapping environment np is used by np: change or delete those instances first'])

  await call('POST', '/api/instances/np/start')
  const running = await cli('instance', 'delete', 'np')
  assert.deepEqual([running.code, running.stderr.trim()], [1, 'instance np is running: stop it first (k2s instance stop np)'])
  await call('POST', '/api/instances/np/stop')
  assert.deepEqual([(await cli('instance', 'delete', 'np')).stdout.trim()], ['instance np deleted (its quarantine stays)'])
  assert.equal((await cli('instance', 'delete', 'np')).stderr.trim(), 'no instance np')
  assert.equal((await cli('instance', 'list')).stdout.trim(), 'NAME  DESIRED  STATE  NODE  LAG  REASON')
  assert.equal((await cli('mapping', 'delete', 'np')).stdout.trim(), 'mapping environment np deleted')
  assert.equal((await cli('mapping', 'list')).stdout, '')
})

test('k2s all says where to open the console, wants no node token, and a taken admin port is a sentence', async () => {
  const [adminPort, nodePort] = await freePorts(2)
  const all = k2s(['all'], { K2S_REDIS_PREFIX: `${prefix}-all`, K2S_ADMIN_PORT: String(adminPort), K2S_NODE_PORT: String(nodePort), K2S_ADMIN_PASSWORD: adminPassword, K2S_NODE_NAME: 'solo' })
  await eventually('the console address in the output', () => all.output().includes('open the console at'), 30_000)
  assert.match(all.output(), new RegExp(`open the console at http://localhost:${adminPort}/`))
  await eventually('the node started', () => all.output().includes('consumer node started'), 30_000)
  assert.doesNotMatch(all.output(), /K2S_NODE_TOKEN/)
  const clash = k2s(['admin'], { K2S_REDIS_PREFIX: `${prefix}-all`, K2S_ADMIN_PORT: String(adminPort), K2S_ADMIN_PASSWORD: adminPassword })
  assert.equal(await clash.exited, 2)
  assert.match(clash.output(), new RegExp(`port ${adminPort} is taken by another process: choose the admin's port with K2S_ADMIN_PORT`))
  assert.doesNotMatch(clash.output(), /EADDRINUSE|\n\s+at /)
  all.child.kill('SIGTERM')
  assert.equal(await all.exited, 0)
})
