import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { startAdminServer } from '../../api/serve.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { recentLogs, redisLogSink } from '../../src/observe/log-store.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'
import { adminFixture, adminPassword, type AdminFixture } from './api-fixtures.ts'

/**
 * Logins: wrong guesses are limited by user and address (429 with Retry-After) without locking the
 * real admin out; a flood of them does not flush the node's log; the generated first-start password
 * reaches the terminal and nothing that is stored.
 */
let api: AdminFixture
let redis: Redis
const prefix = testPrefix('api-login-log')
let sink: ReturnType<typeof redisLogSink>

before(async () => {
  redis = new Redis(await testRedisUrl())
  sink = redisLogSink(redis, redisKeys(prefix), 'admin-node', { flushMs: 20 })
  const log = createLogger('login-test', { level: 'info', streams: [sink.stream] })
  api = await adminFixture('api-login', { auth: { trustProxy: true }, log })
})

after(async () => {
  api?.close()
  await sink?.close()
  redis?.disconnect()
})

const login = (password: string, address: string, user = 'ops') =>
  api.call('POST', '/api/login', { body: { user, password }, headers: { 'x-forwarded-for': address } })

describe('login rate limit', () => {
  test('a guesser is refused with 429 and Retry-After after 5 wrong passwords, even with the right one; the admin elsewhere still logs in', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) statuses.push((await login(`guess-${i}`, '203.0.113.7')).status)
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401])
    assert.deepEqual(new Set(statuses.slice(5)), new Set([429]))
    const right = await login(adminPassword, '203.0.113.7')
    assert.equal(right.status, 429)
    const retryAfter = Number(right.headers.get('retry-after'))
    assert.ok(retryAfter > 0 && retryAfter <= 300, `Retry-After ${retryAfter}`)
    assert.equal(right.body.code, 'auth.login_limited')
    assert.equal((await login(adminPassword, '198.51.100.20')).status, 200, 'the real admin from its own address')
  })

  test('one address guessing many users is stopped too', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 35; i++) statuses.push((await login('wrong', '203.0.113.99', `user-${i}`)).status)
    assert.equal(statuses.filter((s) => s === 401).length, 30)
    assert.equal(statuses.at(-1), 429)
  })

  test('the flood left a few lines in the node log, not one per guess', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const lines = await recentLogs(redis, redisKeys(prefix), { node: 'admin-node' }, { limit: 1000 })
    const refused = lines.filter((l) => /^console logins? (refused|blocked)/.test(l.msg))
    // 76 refused guesses from two addresses: a first line and a block line for each.
    assert.ok(refused.length > 0 && refused.length <= 4, `${refused.length} lines about refused logins: ${refused.map((l) => l.msg).join(' | ')}`)
  })
})

describe('first start', () => {
  test('the generated password goes to the terminal, never to the log or the node log in Redis', async () => {
    const firstPrefix = testPrefix('first-start-terminal')
    const logLines: string[] = []
    const printed: string[] = []
    const nodeSink = redisLogSink(redis, redisKeys(firstPrefix), 'first-node', { flushMs: 20 })
    const log = createLogger('first', { level: 'info', streams: [nodeSink.stream, { write: (line: string) => void logLines.push(line) }] })
    const admin = await startAdminServer({ redisUrl: await testRedisUrl(), prefix: firstPrefix, secretKey: Buffer.alloc(32, 7), host: '127.0.0.1', port: 0, auth: {}, log, terminal: (line) => printed.push(line) })
    try {
      await nodeSink.close()
      const password = /generated password (\S+)/.exec(printed.join('\n'))?.[1]
      assert.ok(password && password.length >= 20, printed.join('\n'))
      const stored = JSON.stringify(await recentLogs(redis, redisKeys(firstPrefix), { node: 'first-node' }, { limit: 1000 }))
      assert.match(stored, /printed on the terminal only/)
      assert.ok(!stored.includes(password), 'the node log in Redis holds the password')
      assert.ok(!logLines.join('').includes(password), 'the log holds the password')
      const res = await fetch(`${admin.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password }) })
      assert.equal(res.status, 200)
    } finally {
      await admin.close()
    }
  })
})
