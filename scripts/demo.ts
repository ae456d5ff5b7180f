// `npm run demo`: K2S on one machine with nothing else installed. Starts a real local Kafka (the
// Maven jars the tests use), the StarRocks emulator, a Redis if none answers on 127.0.0.1:6379,
// K2S itself (`k2s all`), and a generator writing a small shop database's canal stream; creates
// the mapping and a running instance, prints the console's address and login, and stops it all on
// Ctrl-C. Options: --rate N (messages per second, default 5), --port N (console, default 8080 or a
// free one).
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { startKafkaBroker, type KafkaBroker } from '../test/harness/kafka-broker.ts'
import { startRedisServer, type RedisServer } from '../test/harness/redis-server.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../test/starrocks-emulator/index.ts'
import { demoTargetDdl, shopStep } from './demo-shop-stream.ts'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '5' }, port: { type: 'string' } } })
const rate = Number(values.rate)
if (!(rate > 0 && rate <= 1000)) throw new Error('--rate: messages per second, 1 to 1000')

const topic = 'shop-binlog'
const root = new URL('..', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'k2s-demo-'))
const password = `demo-${randomBytes(6).toString('hex')}`
const prefix = `k2s-demo-${process.pid}`

let broker: KafkaBroker | undefined
let ownRedis: RedisServer | undefined
let emulator: StarRocksEmulator | undefined
let k2s: ChildProcess | undefined
let generator: NodeJS.Timeout | undefined
let redisUrl = 'redis://127.0.0.1:6379'
let stopping = false

const step = (what: string) => console.log(`· ${what}`)

async function main() {
  step('starting Kafka (a real broker from the Maven jars; the first run downloads them into .cache/)')
  broker = await startKafkaBroker()
  if (await answersPing(redisUrl)) step(`using the Redis at ${redisUrl} (keys under ${prefix}:, removed on exit)`)
  else {
    step('no Redis on 127.0.0.1:6379: starting one')
    ownRedis = await startRedisServer()
    redisUrl = ownRedis.url
  }
  step('starting the StarRocks emulator')
  emulator = await startStarRocksEmulator({ users: { root: '' } })
  for (const sql of demoTargetDdl) await emulator.execute(sql)

  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
  await admin.disconnect()

  // --port 0: any free port.
  const port = values.port === '0' ? await freePort() : values.port ? Number(values.port) : (await portFree(8080)) ? 8080 : await freePort()
  step(`starting K2S (k2s all) on port ${port}`)
  const log = join(work, 'k2s.log')
  const out = openSync(log, 'a')
  k2s = spawn(process.execPath, [join(root, 'bin/k2s.mjs'), 'all'], {
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      K2S_REDIS_URL: redisUrl,
      K2S_REDIS_PREFIX: prefix,
      K2S_SECRET_KEY: randomBytes(32).toString('hex'),
      K2S_HOME: work,
      K2S_ADMIN_HOST: '127.0.0.1',
      K2S_ADMIN_PORT: String(port),
      K2S_ADMIN_PASSWORD: password,
      K2S_NODE_NAME: 'demo-node',
      K2S_NODE_PORT: String(await freePort()),
      K2S_LOG_LEVEL: process.env.K2S_LOG_LEVEL ?? 'info',
    },
  })
  k2s.on('exit', (code) => {
    if (!stopping) {
      console.error(`K2S exited (${code}); its log: ${log}`)
      void stop(1)
    }
  })
  const url = `http://127.0.0.1:${port}`
  const token = await login(url)
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`)
  }
  await call('POST', '/api/mapping-envs', { name: 'shop', title: 'Shop demo', description: 'the demo shop database into dw', rules: [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }] })
  await call('POST', '/api/instances', {
    name: 'shop',
    kafkaBootstrap: broker.bootstrap,
    topics: [topic],
    mappingEnv: 'shop',
    jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHost: '127.0.0.1',
    feHttpPort: emulator.feHttpPort,
    userName: 'root',
    passWord: '',
    commitTimeout: 500,
  })
  await call('POST', '/api/instances/shop/start')

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  let n = 0
  let sending = false
  // A step carries about one to four messages; steps come at a steady pace to make `rate` messages a second.
  generator = setInterval(() => {
    if (sending) return
    sending = true
    producer
      .send({ topic, messages: shopStep(n++, Date.now()) })
      .catch((err: Error) => console.error(`generator: ${err.message}`))
      .finally(() => { sending = false })
  }, Math.max(5, Math.round(1000 / (rate / 1.6))))

  console.log(`
K2S demo is running.
  Console:    ${url}/   user admin, password ${password}
  StarRocks:  the emulator's MySQL port 127.0.0.1:${emulator.mysqlPort} (user root, no password), e.g.
              mysql -h 127.0.0.1 -P ${emulator.mysqlPort} -u root -e 'SELECT * FROM dw.orders ORDER BY id DESC LIMIT 5'
  Kafka:      ${broker.bootstrap}, topic ${topic}: canal messages of database shop (~${rate}/s: orders inserted,
              updated, renumbered, deleted; one DDL; now and then a poison message for the quarantine)
  K2S log:    ${log}
Press Ctrl-C to stop everything.`)
}

async function stop(code: number) {
  if (stopping) return
  stopping = true
  console.log('\nstopping the demo…')
  clearInterval(generator)
  if (k2s && k2s.exitCode === null) {
    const exited = new Promise((resolve) => k2s!.once('exit', resolve))
    k2s.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
    if (k2s.exitCode === null) k2s.kill('SIGKILL')
  }
  await emulator?.close().catch(() => undefined)
  await broker?.close().catch(() => undefined)
  if (ownRedis) await ownRedis.close().catch(() => undefined)
  else await forgetKeys().catch(() => undefined)
  rmSync(work, { recursive: true, force: true })
  process.exit(code)
}

/** On a Redis that was already there, the demo leaves nothing behind. */
async function forgetKeys() {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  redis.disconnect()
}

async function answersPing(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Waits for the admin to answer, then logs in. */
async function login(url: string): Promise<string> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password }) })
      if (res.ok) return ((await res.json()) as { token: string }).token
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`K2S did not answer on ${url} within 60 s`)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`)
  void stop(1)
})
