import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { recentLogs, redisLogSink } from '../../src/observe/log-store.ts'
import { createLogger } from '../../src/observe/logger.ts'
import { redisKeys, type RedisKeys } from '../../src/redis-keys.ts'
import { freePort } from '../harness/free-port.ts'
import { startRedisServer, testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/** Recent logs: a real pino logger into the Redis sink, read back newest first, capped, bounded when Redis is gone. */
let redis: Redis

before(async () => {
  redis = new Redis(await testRedisUrl())
})

after(() => redis?.disconnect())

const freshKeys = (name: string): RedisKeys => redisKeys(testPrefix(`log-store-${name}`))

describe('the Redis log sink', () => {
  test('lines of a node and two instances come back newest first, by instance and by level', async () => {
    const keys = freshKeys('basic')
    const sink = redisLogSink(redis, keys, 'node-a')
    const log = pino({ level: 'debug' }, sink.stream).child({ node: 'node-a' })
    log.debug('node starting')
    log.info({ instance: 'shop' }, 'instance claimed')
    log.child({ instance: 'erp' }).warn({ table: 'dw.orders' }, 'stream load retrying')
    log.child({ instance: 'shop', role: 'fetcher' }).error({ err: 'HTTP 503' }, 'load failed')
    log.info('heartbeat')
    await sink.close()

    const all = await recentLogs(redis, keys, { node: 'node-a' })
    assert.deepEqual(all.map((e) => [e.level, e.msg, e.instance]), [
      ['info', 'heartbeat', undefined],
      ['error', 'load failed', 'shop'],
      ['warn', 'stream load retrying', 'erp'],
      ['info', 'instance claimed', 'shop'],
      ['debug', 'node starting', undefined],
    ])
    assert.ok(all.every((e) => e.node === 'node-a' && Math.abs(e.time - Date.now()) < 10_000))
    assert.deepEqual([all[1]!.fields.err, all[1]!.fields.role, all[2]!.fields.table], ['HTTP 503', 'fetcher', 'dw.orders'])
    assert.ok(!('level' in all[0]!.fields) && !('msg' in all[0]!.fields) && !('time' in all[0]!.fields))

    const shop = await recentLogs(redis, keys, { instance: 'shop' })
    assert.deepEqual(shop.map((e) => e.msg), ['load failed', 'instance claimed'])
    assert.deepEqual((await recentLogs(redis, keys, { instance: 'erp' })).map((e) => e.msg), ['stream load retrying'])
    assert.deepEqual((await recentLogs(redis, keys, { node: 'node-a' }, { level: 'warn' })).map((e) => e.level), ['error', 'warn'])
    assert.deepEqual((await recentLogs(redis, keys, { node: 'node-a' }, { level: 'info', limit: 2 })).map((e) => e.msg), ['heartbeat', 'load failed'])
    assert.deepEqual((await recentLogs(redis, keys, { instance: 'shop' }, { level: 'error' })).map((e) => e.msg), ['load failed'])
    assert.deepEqual(await recentLogs(redis, keys, { node: 'node-b' }), [])
  })

  test('lines reach Redis in batches without close(), and the node is added to lines that lack it', async () => {
    const keys = freshKeys('batch')
    const sink = redisLogSink(redis, keys, 'node-b', { flushMs: 50 })
    try {
      const log = pino({ level: 'info' }, sink.stream)
      log.info({ instance: 'shop' }, 'one')
      log.info('two')
      for (let i = 0; i < 20 && (await redis.llen(keys.nodeLog('node-b'))) < 2; i++) await sleep(25)
      const entries = await recentLogs(redis, keys, { instance: 'shop' })
      assert.deepEqual(entries.map((e) => [e.msg, e.node]), [['one', 'node-b']])
      assert.equal((await recentLogs(redis, keys, { node: 'node-b' })).length, 2)
    } finally {
      await sink.close()
    }
  })

  test('the lists stay capped', async () => {
    const keys = freshKeys('cap')
    const sink = redisLogSink(redis, keys, 'node-c', { keep: 5 })
    const log = pino({ level: 'info' }, sink.stream)
    for (let i = 0; i < 12; i++) log.info({ instance: 'shop', i }, `line ${i}`)
    await sink.close()
    assert.equal(await redis.llen(keys.nodeLog('node-c')), 5)
    assert.equal(await redis.llen(keys.instanceLog('shop')), 5)
    assert.deepEqual((await recentLogs(redis, keys, { node: 'node-c' })).map((e) => e.fields.i), [11, 10, 9, 8, 7])

    // Past one batch (100 lines) and past the default cap of 1000.
    const many = redisLogSink(redis, keys, 'node-d')
    const busy = pino({ level: 'info' }, many.stream)
    for (let i = 0; i < 1500; i++) busy.info({ i }, 'busy')
    await many.close()
    assert.equal(await redis.llen(keys.nodeLog('node-d')), 1000)
    const newest = await recentLogs(redis, keys, { node: 'node-d' }, { limit: 5000 })
    assert.equal(newest.length, 1000, 'the limit is at most 1000')
    assert.deepEqual([newest[0]!.fields.i, newest[999]!.fields.i], [1499, 500])
    assert.equal((await recentLogs(redis, keys, { node: 'node-d' })).length, 200, 'the default limit')
  })

  test('no line is longer than 8 KB: a long msg is cut and marked, huge fields are left out', async () => {
    const keys = freshKeys('long')
    const sink = redisLogSink(redis, keys, 'node-e')
    const log = pino({ level: 'info' }, sink.stream)
    log.info({ instance: 'shop', table: 'dw.orders' }, `stream load refused: ${'ü'.repeat(20_000)}`)
    log.info({ instance: 'shop', body: 'x'.repeat(50_000) }, 'a huge field')
    await sink.close()
    for (const line of await redis.lrange(keys.nodeLog('node-e'), 0, -1)) assert.ok(Buffer.byteLength(line) <= 8192, `${Buffer.byteLength(line)} bytes`)
    const [huge, long] = await recentLogs(redis, keys, { instance: 'shop' })
    assert.match(long!.msg, /^stream load refused: ü+…$/)
    assert.ok(long!.msg.length > 3000, 'keeps as much of the message as fits')
    assert.deepEqual([long!.fields.truncated, long!.fields.table, long!.instance, long!.level], [true, 'dw.orders', 'shop', 'info'])
    assert.deepEqual([huge!.msg, huge!.fields.truncated, huge!.fields.fieldsDropped, huge!.fields.body, huge!.instance], ['a huge field', true, true, undefined, 'shop'])
  })

  test('passwords are redacted by the K2S logger before they reach the sink', async () => {
    const keys = freshKeys('redact')
    const sink = redisLogSink(redis, keys, 'node-f')
    const secret = 'sr-Pa55word-in-a-log-line'
    const log = createLogger('k2s-test', { level: 'debug', streams: [sink.stream] })
    log.info({ instance: 'shop', config: { userName: 'root', passWord: secret } }, 'config logged whole by mistake')
    log.warn({ password: secret, authorization: `Bearer ${secret}` }, 'request')
    await sink.close()
    const stored = await redis.lrange(keys.nodeLog('node-f'), 0, -1)
    assert.equal(stored.length, 2)
    assert.ok(stored.every((line) => !line.includes(secret)), 'the secret is not stored')
    const [request, config] = await recentLogs(redis, keys, { node: 'node-f' })
    assert.deepEqual([request!.fields.password, request!.fields.authorization], ['[redacted]', '[redacted]'])
    assert.deepEqual(config!.fields.config, { userName: 'root', passWord: '[redacted]' })
  })

  test('lines that do not parse are skipped on read', async () => {
    const keys = freshKeys('garbage')
    await redis.lpush(keys.nodeLog('node-g'), JSON.stringify({ level: 30, time: 1, msg: 'old' }), 'not json', '[1,2]', JSON.stringify({ level: 'loud', msg: 'x' }), JSON.stringify({ level: 50, time: 2, msg: 'new' }))
    assert.deepEqual((await recentLogs(redis, keys, { node: 'node-g' })).map((e) => [e.time, e.level, e.msg]), [[2, 'error', 'new'], [1, 'info', 'old']])
  })
})

describe('when Redis is unreachable', () => {
  test('writes neither throw nor buffer past the cap, and close() gives up in time', async () => {
    const port = await freePort()
    const down = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null, retryStrategy: () => 100 })
    down.on('error', () => {})
    const sink = redisLogSink(down, freshKeys('down'), 'node-x', { closeTimeoutMs: 300 })
    try {
      const log = pino({ level: 'info' }, sink.stream)
      for (let i = 0; i < 20_000; i++) {
        log.info({ instance: 'shop', i }, 'nobody hears this')
        assert.ok(sink.stats().buffered <= 5000)
      }
      await sleep(250)
      const { buffered, dropped } = sink.stats()
      assert.ok(buffered <= 5000, `${buffered} buffered`)
      assert.equal(buffered + dropped, 20_000)
      const started = Date.now()
      await sink.close()
      assert.ok(Date.now() - started < 2000)
      assert.equal(sink.stats().dropped, 20_000 - sink.stats().buffered)
      sink.stream.write('{"level":30,"msg":"after close"}\n')
    } finally {
      down.disconnect()
    }
  })

  test('a client that refuses at once: batches are dropped and counted', async () => {
    const port = await freePort()
    const down = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, retryStrategy: () => 100 })
    down.on('error', () => {})
    const sink = redisLogSink(down, freshKeys('refuse'), 'node-y', { flushMs: 10 })
    try {
      const log = pino({ level: 'info' }, sink.stream)
      for (let i = 0; i < 300; i++) log.info('lost')
      await sink.close()
      assert.deepEqual(sink.stats(), { buffered: 0, dropped: 300 })
    } finally {
      down.disconnect()
    }
  })

  test('after Redis is back, the lines that were dropped are counted in a warning line', async () => {
    const server = await startRedisServer({ appendonly: true })
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 })
    client.on('error', () => {})
    const keys = freshKeys('back')
    const sink = redisLogSink(client, keys, 'node-z', { maxBuffered: 50, flushMs: 20 })
    try {
      const log = pino({ level: 'info' }, sink.stream)
      log.info('before')
      await sleep(100)
      await server.stop()
      for (let i = 0; i < 200; i++) log.info({ i }, 'while down')
      assert.equal(sink.stats().dropped, 150)
      await server.start()
      log.info('after')
      for (let i = 0; i < 100 && (await recentLogs(client, keys, { node: 'node-z' }).catch(() => [])).length < 53; i++) await sleep(50)
      await sink.close()
      const entries = await recentLogs(client, keys, { node: 'node-z' })
      const notice = entries.find((e) => e.fields.droppedLines !== undefined)
      assert.ok(notice, 'a warning about the dropped lines')
      assert.deepEqual([notice.level, notice.fields.droppedLines, notice.node], ['warn', 150, 'node-z'])
      assert.deepEqual([entries.at(-1)!.msg, entries.filter((e) => e.msg === 'while down').length], ['before', 50])
      assert.ok(entries.some((e) => e.msg === 'after'))
    } finally {
      client.disconnect()
      await server.close()
    }
  })
})
