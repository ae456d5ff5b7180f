import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { MappingEnvInput } from '../../src/instances/config.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { adminFixture, instanceBody, mappingBody, type AdminFixture } from './api-fixtures.ts'

/**
 * No one request can stop the admin: a hostile rule pattern, a long list, a slow external system.
 * Each test fails on the code before its fix (a backtracking matcher, a list that parses every
 * instance per environment, a list that waits for Kafka).
 */
let api: AdminFixture
let token: string

before(async () => {
  api = await adminFixture('api-security-load')
  token = await api.login()
})

after(() => api?.close())

describe('rule patterns', () => {
  test('(a+)+ and a preview of 40 a\'s and "!": answered at once, and /api/health answers meanwhile', async () => {
    const rules = [{ sourceDatabase: 'shop', sourceTable: '(a+)+' }]
    assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('hostile', rules) })).status, 201)
    const started = Date.now()
    const health = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      const at = Date.now()
      await api.call('GET', '/api/health')
      return Date.now() - at
    })()
    const preview = await api.call('POST', '/api/mapping-envs/preview', { token, body: { mappingEnv: 'hostile', message: canal('INSERT', 'shop', `${'a'.repeat(40)}!`, [{ id: '1' }]) } })
    assert.equal(preview.status, 200, preview.text)
    assert.equal(preview.body.match ?? null, null)
    assert.ok(Date.now() - started < 3_000, `preview took ${Date.now() - started} ms`)
    assert.ok((await health) < 3_000)
  })

  test('a 60,000-character pattern, a look-ahead and a huge repeat are 400s naming the rule field', async () => {
    for (const [sourceTable, message, code] of [['a'.repeat(60_000), /at most 1000 characters/, 'pattern.too_long'], ['(?=x)orders', /look-ahead/, 'pattern.lookaround'], ['a{5000}', /repeat count/, 'pattern.repeat_too_big']] as const) {
      const res = await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('big', [{ sourceDatabase: 'shop', sourceTable }]) })
      assert.equal(res.status, 400, res.text.slice(0, 200))
      assert.deepEqual(res.body.issues.map((i: { path: string }) => i.path), ['rules.0.sourceTable'])
      assert.match(res.body.issues[0].message, message)
      assert.equal(res.body.issues[0].code, code)
    }
  })
})

/** Redis commands the server ran, by INFO commandstats (this test's Redis serves one test file at a time). */
async function redisCommands(api: AdminFixture): Promise<number> {
  const info = await api.redis.info('commandstats')
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

describe('lists cost linear time', () => {
  test('GET /api/mapping-envs with 60 environments × 60 instances: Redis work grows with their sum, not their product', async () => {
    const envs = 60
    const instances = 60
    for (let e = 0; e < envs; e++) await api.store.saveMappingEnv(mappingBody(`env-${e}`) as MappingEnvInput)
    for (let i = 0; i < instances; i++) await api.store.saveInstance(instanceBody(`inst-${i}`, { mappingEnv: `env-${i % envs}` }))
    const before = await redisCommands(api)
    const res = await api.call('GET', '/api/mapping-envs', { token })
    const spent = (await redisCommands(api)) - before - 1 // the INFO itself
    assert.equal(res.status, 200)
    const env7 = res.body.mappingEnvs.find((e: { name: string }) => e.name === 'env-7')
    assert.deepEqual(env7, { name: 'env-7', title: '', description: 'env-7 rules', rules: 1, usedBy: ['inst-7'] })
    assert.ok(spent <= 3 * (envs + instances), `${spent} Redis commands for ${envs} environments and ${instances} instances`)
  })
})

describe('nothing a user lists or scrapes waits on a slow Kafka', () => {
  let silent: Server
  const sockets: Socket[] = []
  before(async () => {
    // Accepts connections, never answers: kafkajs alone would wait its 30 s request timeout.
    silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    await api.store.saveMappingEnv(mappingBody('slow') as MappingEnvInput)
    await api.store.saveInstance(instanceBody('slow-kafka', { mappingEnv: 'slow', kafkaBootstrap: `127.0.0.1:${port}` }))
    await api.store.startInstance('slow-kafka')
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => silent?.close(resolve))
  })

  const timed = async (method: string, path: string) => {
    const started = Date.now()
    const res = await api.call(method, path, { token })
    return { res, ms: Date.now() - started }
  }

  test('/api/instances and /metrics answer within seconds, the lag marked stale; …/lag says Kafka did not answer', async () => {
    const list = await timed('GET', '/api/instances')
    assert.equal(list.res.status, 200)
    assert.ok(list.ms < 4_000, `/api/instances took ${list.ms} ms`)
    const slow = list.res.body.instances.find((i: { name: string }) => i.name === 'slow-kafka')
    assert.deepEqual(slow.lag, { messages: null, seconds: null, stale: true })
    const metrics = await timed('GET', '/metrics')
    assert.ok(metrics.ms < 4_000, `/metrics took ${metrics.ms} ms`)
    assert.match(metrics.res.text, /k2s_instance_lag_stale\{instance="slow-kafka"\} 1/)
    const lag = await timed('GET', '/api/instances/slow-kafka/lag')
    assert.equal(lag.res.status, 502, lag.res.text)
    assert.equal(lag.res.body.code, 'kafka.lag_timeout')
    assert.ok(lag.ms < 9_000, `…/lag took ${lag.ms} ms`)
  })
})
