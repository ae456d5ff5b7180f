import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { frameWriter, type FrameWriter } from '../../src/jobs/frame-writer.ts'
import { encodePayload, jobPayloads } from '../../src/jobs/job-payload.ts'
import type { BatchMessage } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * The fetcher writes frames over a connection of its own, from the messages' bytes (no ioredis
 * copy); what a loader reads back with ioredis must be exactly the frame, whatever the connection
 * needs: a user and password, another database.
 */
let url: string
let admin: Redis
const keys = redisKeys(testPrefix('frame-writer'))
const user = `k2s-frame-writer-${process.pid}`

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

/** A writer on a client of `target` (a URL, ACL user and database included), closed after `use`. */
async function withWriter(target: string, use: (writer: FrameWriter, redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(target, { lazyConnect: true })
  const writer = frameWriter(redis)
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
    const back = await jobPayloads(redis, keys).get('job-49')
    assert.deepEqual(back?.map((m) => [m.offset, m.value?.toString()]), [['49', 'v49']])
  }))

test('it authenticates as the URL says and writes into its database', () =>
  withWriter(asUser('s3cret pass', 3), async (writer, redis) => {
    await writer.put(keys.jobPayload('in-db-3'), batch)
    assert.deepEqual(await redis.getBuffer(keys.jobPayload('in-db-3')), encodePayload(batch))
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
  }))
