import assert from 'node:assert/strict'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { frameSocket, type FrameSocket } from '../../src/jobs/frame-socket.ts'
import { decodePayload, encodePayload } from '../../src/jobs/job-payload.ts'
import type { BatchMessage } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * The fetcher writes frames and the loader reads them over a connection of their own (no ioredis
 * copies): a frame must be exactly what encodePayload makes, whatever the connection needs (a user
 * and password, another database) and however the socket cuts the reply.
 */
let url: string
let admin: Redis
const keys = redisKeys(testPrefix('frame-socket'))
const user = `k2s-frame-socket-${process.pid}`

before(async () => {
  url = await testRedisUrl()
  admin = new Redis(url)
  await admin.call('ACL', 'SETUSER', user, 'on', '>s3cret pass', '~*', '+@all')
})
after(async () => {
  await admin.call('ACL', 'DELUSER', user).catch(() => 0)
  admin.disconnect()
})

const batch: BatchMessage[] = [
  { offset: '41', value: Buffer.from('{"type":"INSERT","data":[{"id":"1","note":"héllo"}]}') },
  { offset: '42', value: null },
  { offset: '43', value: Buffer.alloc(0) },
  { offset: '12345678901234567890', value: Buffer.alloc(300_000, 0x61) },
]

/** A frame socket on a client of `target` (a URL, ACL user and database included), closed after `use`. */
async function withWriter(target: string, use: (writer: FrameSocket, redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(target, { lazyConnect: true })
  const writer = frameSocket(redis)
  try {
    await use(writer, redis)
  } finally {
    writer.close()
    redis.disconnect()
  }
}

/** The test server's URL as `user` with `password`, database `db`. */
function asUser(password: string, db = 0): string {
  const u = new URL(url)
  u.username = user
  u.password = password
  u.pathname = `/${db}`
  return u.toString()
}

test('a frame written from the messages is the frame encodePayload makes, and reads back the same', () =>
  withWriter(url, async (writer, redis) => {
    for (const messages of [batch, batch.map((m, i) => ({ ...m, key: i === 1 ? null : Buffer.from([0, 1, 2, i]) })), []]) {
      await writer.put(keys.jobPayload('job-1'), messages)
      assert.deepEqual(await redis.getBuffer(keys.jobPayload('job-1')), encodePayload(messages))
    }
    // Many at once, pipelined on one connection: each reply settles its own put.
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.put(keys.jobPayload(`job-${i}`), [{ offset: String(i), value: Buffer.from(`v${i}`) }])))
    const back = await writer.get(keys.jobPayload('job-49'))
    assert.deepEqual(back && decodePayload(back).map((m) => [m.offset, m.value?.toString()]), [['49', 'v49']])
  }))

test('a frame read back is the bytes stored, larger than a socket read or empty; a missing key is null', () =>
  withWriter(url, async (reader, redis) => {
    // 1.5 MB: several of the socket's 256 KB reads.
    const big = [...batch, { offset: '99', value: Buffer.alloc(1_500_000, 0x62) }]
    await redis.set(keys.jobPayload('big'), encodePayload(big))
    await redis.set(keys.jobPayload('empty'), Buffer.alloc(0))
    await redis.del(keys.jobPayload('missing'))
    const [got, empty, missing] = await Promise.all(['big', 'empty', 'missing'].map((id) => reader.get(keys.jobPayload(id))))
    assert.deepEqual(got, encodePayload(big))
    assert.deepEqual(decodePayload(got!), big.map((m) => ({ offset: m.offset, value: m.value })))
    assert.deepEqual(empty, Buffer.alloc(0))
    assert.equal(missing, null)
    // Puts and gets pipelined on the one connection: each reply settles its own command.
    const sizes = Array.from({ length: 40 }, (_, i) => (i * 7919) % 70_000)
    const frames = sizes.map((n, i) => [{ offset: String(i), value: Buffer.alloc(n, i) }])
    await Promise.all(frames.map((f, i) => reader.put(keys.jobPayload(`mix-${i}`), f)))
    const back = await Promise.all(frames.map((_, i) => reader.get(keys.jobPayload(`mix-${i}`))))
    back.forEach((b, i) => assert.deepEqual(b, encodePayload(frames[i]!), `frame ${i}`))
  }))

test('a reply the socket delivers a few bytes at a time reads the same', async () => {
  // A server of ours on a Unix socket, so the cuts fall inside the header, the value and its CRLF.
  const path = join(tmpdir(), `k2s-frame-socket-${process.pid}.sock`)
  await rm(path, { force: true })
  const frame = encodePayload(batch.slice(0, 2))
  const reply = Buffer.concat([Buffer.from(`$${frame.length}\r\n`), frame, Buffer.from('\r\n$-1\r\n-ERR not now\r\n')])
  const server = net.createServer((conn) => {
    let asked = 0
    conn.on('data', async (chunk) => {
      asked += chunk.toString().split('GET').length - 1
      if (asked < 3) return
      for (let at = 0; at < reply.length; at += 3) {
        conn.write(reply.subarray(at, at + 3))
        await sleep(1)
      }
    })
  })
  server.listen(path)
  await once(server, 'listening')
  const redis = new Redis({ path, lazyConnect: true })
  const reader = frameSocket(redis)
  try {
    const [got, missing, refused] = await Promise.allSettled(['a', 'b', 'c'].map((key) => reader.get(key)))
    assert.deepEqual(got, { status: 'fulfilled', value: frame })
    assert.deepEqual(missing, { status: 'fulfilled', value: null })
    assert.equal(refused?.status, 'rejected')
    assert.match((refused as PromiseRejectedResult | undefined)?.reason.message, /not now/)
  } finally {
    reader.close()
    redis.disconnect()
    server.close()
    await rm(path, { force: true })
  }
})

test('it authenticates as the URL says and writes into its database, and reads from it', () =>
  withWriter(asUser('s3cret pass', 3), async (writer, redis) => {
    await writer.put(keys.jobPayload('in-db-3'), batch)
    assert.deepEqual(await redis.getBuffer(keys.jobPayload('in-db-3')), encodePayload(batch))
    assert.deepEqual(await writer.get(keys.jobPayload('in-db-3')), encodePayload(batch))
    assert.equal(await admin.exists(keys.jobPayload('in-db-3')), 0, 'not written into database 0')
    await redis.del(keys.jobPayload('in-db-3'))
  }))

test('a refused password fails the put with what Redis said, without the password', () =>
  withWriter(asUser('not-it'), async (writer) => {
    await assert.rejects(writer.put(keys.jobPayload('refused'), batch), (err: Error) => /WRONGPASS/.test(err.message) && !err.message.includes('not-it'))
  }))

test('Redis away: the put fails, and the next one after it came back connects again', () =>
  withWriter(url, async (writer, redis) => {
    await writer.put(keys.jobPayload('before'), batch)
    // Every client of ours is dropped, the writer's connection too.
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    let failed = 0
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writer.put(keys.jobPayload('after'), batch)
        break
      } catch {
        failed++
      }
    }
    assert.ok(failed <= 1, 'at most the put on the dead connection fails')
    assert.deepEqual(await redis.getBuffer(keys.jobPayload('after')), encodePayload(batch))
    // And a get on a connection Redis dropped fails once, then reads again.
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    await sleep(50)
    const read = await writer.get(keys.jobPayload('after')).catch(() => writer.get(keys.jobPayload('after')))
    assert.deepEqual(read, encodePayload(batch))
  }))
