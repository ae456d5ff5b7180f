import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { batchOrder, type BatchOrder } from '../../src/jobs/batch-order.ts'
import { batchRanges } from '../../src/jobs/batch-ranges.ts'
import { loadJobId, loadQueueName, type LoadJobData } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * A loader builds a batch while the one before it (`previous`) loads, and loads it only once
 * every row of that one is in StarRocks. What a user relies on: the second batch's loads never
 * start before the first's are done, and a worker slot is not held while the first is not even
 * running (held by a schema policy, waiting to retry).
 */
let redis: Redis
let queue: Queue<LoadJobData>
let order: BatchOrder
const keys = redisKeys(testPrefix('batch-order'))

const batch = (first: string, last: string, previous?: [string, string]): LoadJobData => ({
  instance: 'shop',
  epoch: 1,
  topic: 'binlog',
  partition: 0,
  firstOffset: first,
  lastOffset: last,
  messageCount: 1,
  ...(previous ? { previous: { firstOffset: previous[0], lastOffset: previous[1] } } : {}),
})
const first = batch('0', '9')
const second = batch('10', '19', ['0', '9'])

before(async () => {
  redis = new Redis(await testRedisUrl(), { maxRetriesPerRequest: null })
  queue = new Queue(loadQueueName, { connection: redis, prefix: keys.bullPrefix })
  order = batchOrder(redis, keys, queue)
})
after(async () => {
  order.close()
  await queue.close()
  redis.disconnect()
})
beforeEach(async () => {
  await queue.obliterate({ force: true })
  await redis.del(keys.loadedThrough('shop', 'binlog', 0), keys.batchRanges('shop', 'binlog', 0))
})

/** `first` as a job a worker is running now. */
async function running(data: LoadJobData): Promise<void> {
  await queue.add('load', data, { jobId: loadJobId(data) })
  // The state BullMQ gives a job a worker holds, without a worker.
  await redis.lrem(`${keys.bullPrefix}:${loadQueueName}:wait`, 0, loadJobId(data))
  await redis.lpush(`${keys.bullPrefix}:${loadQueueName}:active`, loadJobId(data))
}

test('the batch behind waits while the one before it loads, and goes the moment it is marked loaded', async () => {
  await running(first)
  let settled: string | null = null
  const waiting = order.whenPreviousLoaded(second).then((outcome) => (settled = outcome))
  await new Promise((resolve) => setTimeout(resolve, 400))
  assert.equal(settled, null, 'not before the batch ahead is in StarRocks')
  const markedAt = Date.now()
  await order.loaded(first)
  await waiting
  assert.equal(settled, 'go')
  assert.ok(Date.now() - markedAt < 200, 'woken by the mark, not by the next poll')
})

test('a batch with nothing before it goes at once; a later mark also covers it', async () => {
  assert.equal(await order.whenPreviousLoaded(first), 'go')
  await order.loaded(batch('10', '19'))
  assert.equal(await order.whenPreviousLoaded(second), 'go')
})

test('the mark only moves forward: a late attempt of an older batch does not move it back', async () => {
  await order.loaded(batch('10', '19'))
  await order.loaded(first)
  assert.equal(await redis.get(keys.loadedThrough('shop', 'binlog', 0)), '1:19')
  // A newer epoch (an operator's E-B/L-B start) starts it again.
  await order.loaded({ ...first, epoch: 2 })
  assert.equal(await redis.get(keys.loadedThrough('shop', 'binlog', 0)), '2:9')
})

test('the batch before is not running (waiting, held, retrying later): the slot is given back', async () => {
  await queue.add('load', first, { jobId: loadJobId(first) })
  assert.equal(await order.whenPreviousLoaded(second), 'later')
})

test('without the mark (Redis lost it), the job before decides: gone and no longer recorded means committed', async () => {
  const ranges = batchRanges(redis, keys, 'shop', 'node-a')
  await redis.set(keys.owner('shop'), 'node-a')
  await ranges.fence('node-a/1')
  await ranges.record('binlog', 0, { epoch: 1, firstOffset: '0', lastOffset: '9' }, 'node-a/1')
  assert.equal(await order.whenPreviousLoaded(second), 'later', 'recorded, no job: the fetcher queues it again')
  await ranges.clear('binlog', 0, { epoch: 1, firstOffset: '0', lastOffset: '9' })
  assert.equal(await order.whenPreviousLoaded(second), 'go', 'its offset was committed')
})
