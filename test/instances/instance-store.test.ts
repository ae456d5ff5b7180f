import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { ZodError } from 'zod'
import { instanceStore } from '../../src/instances/instance-store.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/** Instances as stored in Redis: validated on the way in, password sealed, desired state and epoch. */
const password = 'Tr0ub4dor&3-not-in-redis'
let redis: Redis
let prefix: string
let store: ReturnType<typeof instanceStore>

const instance = {
  name: 'erp',
  kafkaBootstrap: '10.0.0.1:9092, 10.0.0.2:9092',
  topics: ['erp'],
  mappingEnv: 'erp',
  jdbcUrl: 'jdbc:mysql://10.0.0.5:9030/',
  feHost: '10.0.0.5',
  feHttpPort: 8030,
  userName: 'loader',
  passWord: password,
  consumerPolicy: 'E-B',
}

before(async () => {
  redis = new Redis(await testRedisUrl())
  prefix = testPrefix('store')
  store = instanceStore(redis, redisKeys(prefix), secretBox(randomBytes(32)))
})

after(() => redis?.disconnect())

describe('instance store', () => {
  test('the password is sealed at rest and comes back whole', async () => {
    await store.saveInstance(instance)
    const keys = await redis.keys(`${prefix}:*`)
    assert.ok(keys.length > 0)
    for (const key of keys) {
      const type = await redis.type(key)
      const value = type === 'hash' ? await redis.hgetall(key) : type === 'set' ? await redis.smembers(key) : await redis.get(key)
      const dump = JSON.stringify(value)
      assert.ok(!dump.includes(password), `${key} holds the password in clear`)
    }
    const stored = await store.getInstance('erp')
    assert.equal(stored?.config.passWord, password)
    assert.equal(stored?.config.kafkaBootstrap, '10.0.0.1:9092,10.0.0.2:9092')
  })

  test('another key cannot open it', async () => {
    const other = instanceStore(redis, redisKeys(prefix), secretBox(randomBytes(32)))
    await assert.rejects(other.getInstance('erp'), /key differs/)
  })

  test('a config stored before newer fields existed reads back with their defaults', async () => {
    await store.saveInstance({ ...instance, name: 'old' })
    const key = redisKeys(prefix).instance('old')
    // As an earlier K2S wrote it: no pinNode, pinCluster or stallAfterMs.
    const { pinNode: _n, pinCluster: _c, stallAfterMs: _s, ...older } = JSON.parse((await redis.hget(key, 'config'))!)
    await redis.hset(key, 'config', JSON.stringify(older))
    const stored = await store.getInstance('old')
    assert.equal(stored?.config.pinNode, '')
    assert.equal(stored?.config.pinCluster, '')
    assert.equal(stored?.config.stallAfterMs, 60_000)
    assert.equal(stored?.config.passWord, password)
    assert.equal((await store.viewInstance('old'))?.config.pinNode, '')
  })

  test('invalid config is refused before anything is stored, naming the field', async () => {
    await assert.rejects(store.saveInstance({ ...instance, name: 'bad', commitBatch: 0 }), (err: unknown) => {
      assert.ok(err instanceof ZodError)
      assert.deepEqual(err.issues.map((i) => i.path.join('.')), ['commitBatch'])
      return true
    })
    assert.equal(await store.getInstance('bad'), null)
  })

  test('a start with E-B or L-B opens a new epoch and asks for the reset; stop keeps both', async () => {
    const before = await store.getInstance('erp')
    await store.startInstance('erp')
    const started = await store.getInstance('erp')
    assert.equal(started?.desired, 'running')
    assert.equal(started?.epoch, (before?.epoch ?? 0) + 1)
    assert.equal(started?.resetPending, true)
    await store.stopInstance('erp')
    const stopped = await store.getInstance('erp')
    assert.equal(stopped?.desired, 'stopped')
    assert.equal(stopped?.epoch, started?.epoch)
    assert.ok((stopped?.version ?? 0) > (started?.version ?? 0))
  })

  test('a start with E-C keeps the epoch: labels repeat, so nothing reloads twice', async () => {
    await store.saveInstance({ ...instance, name: 'steady', consumerPolicy: 'E-C' })
    await store.startInstance('steady')
    await store.stopInstance('steady')
    await store.startInstance('steady')
    const stored = await store.getInstance('steady')
    assert.equal(stored?.epoch, 0)
    assert.equal(stored?.resetPending, false)
  })
})
