import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { batchRanges, type BatchRanges } from '../../src/jobs/batch-ranges.ts'
import type { JobWaiter } from '../../src/fetcher/job-waiter.ts'
import { PartitionBatcher } from '../../src/fetcher/partition-batcher.ts'
import { startPartitionLoop } from '../../src/fetcher/partition-loop.ts'
import type { LoadJobData } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * A fetcher node frozen past its lease (GC pause, SIGSTOP, a VM migration) wakes up with messages
 * still buffered. Found by the fault suite (freeze-fetcher): it cut them into batches of its own,
 * different from the new owner's, so their labels were new and the rows loaded twice — duplicates
 * in Duplicate Key tables, older images over newer ones in Primary Key tables.
 */
let redis: Redis
const keys = redisKeys(testPrefix('partition-loop-lease'))

before(async () => {
  redis = new Redis(await testRedisUrl())
})

after(() => redis?.disconnect())

function runLoop(holder: string, opts: { ranges?: BatchRanges; isCurrent?: () => boolean; fence?: string; duringLoad?: () => void } = {}) {
  const queued: LoadJobData[] = []
  const commits: string[] = []
  const warnings: string[] = []
  const fenceLost: string[] = []
  let ended: () => void = () => {}
  const waiter: JobWaiter = {
    async put() {},
    async enqueue(job) {
      queued.push(job)
    },
    async completion() {
      opts.duringLoad?.()
      return 'completed'
    },
    async remove() {},
    async forget() {},
    async close() {},
  }
  const batcher = new PartitionBatcher({ maxRows: 10, maxBytes: 1_000_000, maxWaitMs: 0 }, 5n, [])
  batcher.push({ offset: '5', value: Buffer.from('{}'), rows: 1, bytes: 2, at: 0 })
  const log = pino({ level: 'warn' }, { write: (line: string) => void (warnings.push(JSON.parse(line).msg), ended()) })
  const done = new Promise<void>((resolve) => (ended = resolve))
  const loop = startPartitionLoop({
    instance: 'shop',
    epoch: 0,
    topic: 'binlog',
    partition: 0,
    batcher,
    ranges: opts.ranges ?? batchRanges(redis, keys, 'shop', holder),
    fence: opts.fence ?? `${holder}/gen-1`,
    waiter,
    commit: async (offset) => {
      commits.push(offset)
      ended()
    },
    resume: () => {},
    isCurrent: opts.isCurrent ?? (() => true),
    restart: () => fenceLost.push('lost'),
    log,
  })
  return { queued, commits, warnings, fenceLost, loop, done: done.then(() => loop.abandon()) }
}

const lost = 'instance lease lost or a newer fetcher took over: no batch cut, the new owner continues'

test('a node that lost the instance lease cuts no batch and leaves the recorded range to the new owner', async () => {
  await redis.set(keys.owner('shop'), 'node-b')
  assert.equal(await batchRanges(redis, keys, 'shop', 'node-a').fence('node-a/gen-1'), false, 'only the lease holder takes the fence')
  assert.equal(await batchRanges(redis, keys, 'shop', 'node-b').fence('node-b/gen-1'), true)
  const zombie = runLoop('node-a')
  await zombie.done
  assert.deepEqual(zombie.warnings, [lost])
  assert.deepEqual(zombie.queued, [])
  assert.deepEqual(await redis.lrange(keys.batchRanges('shop', 'binlog', 0), 0, -1), [])

  const owner = runLoop('node-b')
  await owner.done
  assert.deepEqual(owner.queued.map((j) => [j.firstOffset, j.lastOffset]), [['5', '5']])
  assert.deepEqual(owner.warnings, [])
})

test('a loop stopped while its range was being recorded queues nothing: its successor cuts that range again', async () => {
  await redis.set(keys.owner('shop'), 'node-a')
  const real = batchRanges(redis, keys, 'shop', 'node-a')
  await real.fence('node-a/gen-1')
  let current = true
  let recorded: () => void = () => {}
  const recording = new Promise<void>((resolve) => (recorded = resolve))
  // The fetcher restarts on the same node (a crashed Kafka consumer) between the record and its reply.
  const ranges: BatchRanges = {
    ...real,
    async record(topic, partition, range, fence) {
      const ok = await real.record(topic, partition, range, fence)
      current = false
      recorded()
      return ok
    },
  }
  const old = runLoop('node-a', { ranges, isCurrent: () => current })
  await recording
  await new Promise((resolve) => setTimeout(resolve, 50))
  old.loop.abandon()
  assert.deepEqual(old.queued, [])
})

test('on one node, a fetcher generation that lost the fence to a newer one records nothing', async () => {
  await redis.del(keys.batchRanges('shop', 'binlog', 0))
  await redis.set(keys.owner('shop'), 'node-a')
  const ranges = batchRanges(redis, keys, 'shop', 'node-a')
  // The newer generation (a rebalance, or the fetcher restarted on this node) took the fence.
  await ranges.fence('node-a/gen-2')
  const older = runLoop('node-a', { fence: 'node-a/gen-1' })
  await older.done
  assert.deepEqual(older.warnings, [lost])
  assert.deepEqual(older.queued, [])
  assert.deepEqual(older.fenceLost, ['lost'], 'a loop still current asks for a fresh fetcher')
  assert.deepEqual(await redis.lrange(keys.batchRanges('shop', 'binlog', 0), 0, -1), [])

  const newer = runLoop('node-a', { fence: 'node-a/gen-2' })
  await newer.done
  assert.deepEqual(newer.queued.map((j) => [j.firstOffset, j.lastOffset]), [['5', '5']])
})

test('a Redis that came back without the fence: the loop asks for a fresh fetcher instead of standing still', async () => {
  await redis.del(keys.batchRanges('shop', 'binlog', 0), keys.rangeFence('shop'))
  await redis.set(keys.owner('shop'), 'node-a')
  const stranded = runLoop('node-a', { fence: 'node-a/gen-1' })
  await stranded.done
  assert.deepEqual(stranded.queued, [])
  assert.deepEqual(stranded.fenceLost, ['lost'])
})

test('a loop abandoned as its job completed commits nothing: the successor cuts the recorded range again and commits it', async () => {
  await redis.del(keys.batchRanges('shop', 'binlog', 0))
  await redis.set(keys.owner('shop'), 'node-a')
  await batchRanges(redis, keys, 'shop', 'node-a').fence('node-a/gen-1')
  let current = true
  // A rebalance lands while the job completes: a commit of ours now could arrive after the
  // successor's and move the offset back.
  const old = runLoop('node-a', { isCurrent: () => current, duringLoad: () => (current = false) })
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.deepEqual(old.queued.map((j) => [j.firstOffset, j.lastOffset]), [['5', '5']])
  assert.deepEqual(old.commits, [])
  assert.deepEqual(await batchRanges(redis, keys, 'shop', 'node-a').list('binlog', 0), [{ epoch: 0, firstOffset: '5', lastOffset: '5' }])
})
