import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { batchRanges } from '../../src/jobs/batch-ranges.ts'
import type { JobOutcome, JobWaiter } from '../../src/fetcher/job-waiter.ts'
import { PartitionBatcher } from '../../src/fetcher/partition-batcher.ts'
import { startPartitionLoop } from '../../src/fetcher/partition-loop.ts'
import type { LoadJobData } from '../../src/jobs/load-job.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * Batches of one partition are pipelined (issue 20): the next batch is cut, recorded and written to
 * Redis while the one before it loads, and commits land behind the loads. What must not change: a
 * job of the partition is queued only once the one before it completed (rows in Kafka order), an
 * offset is committed only past completed batches, in order, and a range stays recorded until the
 * commit past it landed.
 */
let redis: Redis
const keys = redisKeys(testPrefix('partition-loop-pipeline'))
const ranges = () => batchRanges(redis, keys, 'shop', 'node-a')
const recorded = async () => (await ranges().list('binlog', 0)).map((r) => `${r.firstOffset}-${r.lastOffset}`)

before(async () => {
  redis = new Redis(await testRedisUrl())
})
after(() => redis?.disconnect())
beforeEach(async () => {
  await redis.del(keys.batchRanges('shop', 'binlog', 0))
  await redis.set(keys.owner('shop'), 'node-a')
  await ranges().fence('node-a/gen-1')
})

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  const deadline = Date.now() + 3_000
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A loop over offsets 5.. (one message a batch), with loads and commits the test finishes by hand. */
function pipeline(messages: number) {
  const events: string[] = []
  const loads = new Map<string, ReturnType<typeof deferred<JobOutcome>>>()
  const commits: Array<{ offset: string; land: () => void }> = []
  const restarts: string[] = []
  const removed: string[] = []
  const name = (job: LoadJobData) => `${job.firstOffset}-${job.lastOffset}`
  const load = (batch: string) => loads.get(batch) ?? loads.set(batch, deferred<JobOutcome>()).get(batch)!
  const waiter: JobWaiter = {
    async put(job) {
      events.push(`put ${name(job)}`)
    },
    async enqueue(job) {
      events.push(`queue ${name(job)}${job.previous ? ` after ${job.previous.firstOffset}-${job.previous.lastOffset}` : ''}`)
    },
    completion: (job) => load(name(job)).promise,
    async remove(job) {
      removed.push(name(job))
    },
    async forget() {},
    async close() {},
  }
  const batcher = new PartitionBatcher({ maxRows: 1, maxBytes: 1_000_000, maxWaitMs: 0 }, 5n, [])
  for (let i = 0; i < messages; i++) batcher.push({ offset: String(5 + i), value: Buffer.from('{}'), rows: 1, bytes: 2, at: 0 })
  const loop = startPartitionLoop({
    instance: 'shop',
    epoch: 0,
    topic: 'binlog',
    partition: 0,
    batcher,
    ranges: ranges(),
    fence: 'node-a/gen-1',
    waiter,
    commit(offset) {
      events.push(`commit ${offset}`)
      const landed = deferred<void>()
      commits.push({ offset, land: () => landed.resolve() })
      return landed.promise
    },
    resume: () => {},
    isCurrent: () => true,
    restart: (why) => restarts.push(why),
    log: pino({ level: 'silent' }),
  })
  const finish = (batch: string, outcome: JobOutcome = 'completed') => {
    events.push(`completed ${batch}`)
    load(batch).resolve(outcome)
  }
  return { events, commits, restarts, removed, loop, finish }
}

test('the next batch is cut, written and queued behind the one loading, naming it; a third waits until the first completed', async () => {
  const p = pipeline(4)
  await until('5 and 6 queued', () => p.events.includes('queue 6-6 after 5-5'))
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(p.events, ['put 5-5', 'queue 5-5', 'put 6-6', 'queue 6-6 after 5-5'], 'two jobs of the partition queued at most')
  assert.deepEqual(await recorded(), ['5-5', '6-6'])
  assert.equal(p.loop.inFlight(), true)

  p.finish('5-5')
  await until('7 queued', () => p.events.includes('queue 7-7 after 6-6'))
  p.finish('6-6')
  await until('8 queued', () => p.events.includes('queue 8-8 after 7-7'))
  p.finish('7-7')
  p.finish('8-8')
  const queuedOrder = p.events.filter((e) => e.startsWith('queue'))
  assert.deepEqual(queuedOrder, ['queue 5-5', 'queue 6-6 after 5-5', 'queue 7-7 after 6-6', 'queue 8-8 after 7-7'])
  await until('every commit asked', () => p.commits.length >= 1)
  p.loop.abandon()
})

test('a commit lands behind the loads: in order, only past completed batches, and a range is forgotten only after its commit', async () => {
  const p = pipeline(3)
  await until('6 queued', () => p.events.includes('queue 6-6 after 5-5'))
  p.finish('5-5')
  await until('commit past 5', () => p.commits.length === 1)
  assert.equal(p.commits[0]!.offset, '6')
  // The commit has not landed: the batches behind load meanwhile, and 5's range stays recorded.
  await until('7 queued', () => p.events.includes('queue 7-7 after 6-6'))
  assert.deepEqual(await recorded(), ['5-5', '6-6', '7-7'])

  // 6 and 7 complete while the first commit is still on its way: one commit covers both, after it.
  p.finish('6-6')
  p.finish('7-7')
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(p.commits.length, 1, 'no second commit before the first landed')
  p.commits[0]!.land()
  await until('commit past 7', () => p.commits.length === 2)
  assert.equal(p.commits[1]!.offset, '8')
  assert.deepEqual(await recorded(), ['6-6', '7-7'], '5 forgotten once its commit landed, 6 and 7 not yet')
  p.commits[1]!.land()
  await until('every range forgotten', async () => (await recorded()).length === 0)
  assert.equal(p.loop.inFlight(), false)
  p.loop.abandon()
})

test("a batch whose messages Redis lost: nothing committed, the job behind it removed, and the fetcher starts again to cut both again from Kafka", async () => {
  const p = pipeline(2)
  await until('6 queued', () => p.events.includes('queue 6-6 after 5-5'))
  p.finish('5-5', 'lost')
  await until('a restart asked for', () => p.restarts.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(p.commits, [])
  assert.deepEqual(p.removed, ['6-6'], 'it would wait for 5 for ever')
  assert.deepEqual(await recorded(), ['5-5', '6-6'], 'the successor cuts both ranges again')
})
