import type { BatchRanges, BatchRange } from '../jobs/batch-ranges.ts'
import type { LoadJobData } from '../jobs/load-job.ts'
import type { Logger } from '../observe/logger.ts'
import type { JobOutcome, JobWaiter } from './job-waiter.ts'
import type { BufferedMessage, PartitionBatcher } from './partition-batcher.ts'

/**
 * The hand-off of one topic-partition, as a pipeline of three stages that overlap:
 *
 * 1. cut → record the range → write the frame to Redis, while the batches before it load;
 * 2. queue the job, at most two of the partition at a time, the second naming the first as the one
 *    it loads after → wait until the oldest completed;
 * 3. commit `last + 1` → forget the ranges it covers, while the next batches load.
 *
 * A partition's jobs load one after the other, in offset order, so its rows reach StarRocks in
 * Kafka order (docs/design.md invariant 2); a range stays recorded until the commit past it landed
 * (invariant 4). This is the one place an offset is committed (invariant 1).
 */
export type PartitionLoopDeps = {
  instance: string
  epoch: number
  topic: string
  partition: number
  batcher: PartitionBatcher
  ranges: BatchRanges
  /** This loop's fetcher generation: ranges are recorded only while it holds the fence. */
  fence: string
  waiter: JobWaiter
  commit(offset: string): Promise<void>
  /** Fetching again once a cut made room in the buffer, or a batch completed. */
  resume(): void
  /** False once the partition may belong to someone else (rebalance, stop). */
  isCurrent(): boolean
  /**
   * A current loop cannot go on: the lease or the fence is gone (say, a Redis that came back
   * without it), or Redis lost a batch's frame. The fetcher must start afresh, from the committed
   * offset and the recorded ranges, rather than stand still.
   */
  restart(why: string): void
  log: Logger
}

export type PartitionLoop = {
  wake(): void
  abandon(): void
  /** The oldest message not loaded yet: the first of the batch in flight, else of the next, else of the buffer. */
  oldest(): BufferedMessage | null
  /** A batch is cut and not completed yet. */
  inFlight(): boolean
}

/**
 * A cut on its way. Of its messages only the first is kept (for the lag in seconds), as a copy:
 * its value is a view into a whole kafkajs fetch response, which it would keep alive.
 */
type Batch = { job: LoadJobData; range: BatchRange; first: BufferedMessage }

const retryMs = 1_000
// Not woken early: new messages arriving while Redis or Kafka is away must not turn a retry into a storm.
const pause = () => new Promise((resolve) => setTimeout(resolve, retryMs))

/** A promise the other stage resolves: "look again". */
function signal() {
  let fire = () => {}
  let sleeping: Promise<void> | null = null
  return {
    wait(ms: number | null = null): Promise<void> {
      sleeping ??= new Promise<void>((resolve) => {
        const timer = ms === null ? undefined : setTimeout(() => fire(), ms)
        fire = () => {
          clearTimeout(timer)
          sleeping = null
          resolve()
        }
      })
      return sleeping
    },
    fire: () => fire(),
  }
}

export function startPartitionLoop(d: PartitionLoopDeps): PartitionLoop {
  let alive = true
  const current = () => alive && d.isCurrent()
  const where = { topic: d.topic, partition: d.partition }
  const stop = (why: string) => {
    const wasCurrent = current()
    alive = false
    wakeAll()
    if (wasCurrent) d.restart(why)
  }

  // Stage 1 hands `next` to stage 2; each wakes the other when the slot changed. Stage 2 keeps the
  // partition's queued jobs, oldest first.
  let next: Batch | null = null
  const queued: Batch[] = []
  // Taken from `next`, its job being queued.
  let queuing: Batch | null = null
  let preparing: Batch | null = null
  /** One batch ready, or two queued, is enough ahead of the loads. */
  const enoughAhead = () => next !== null || queued.length + (queuing ? 1 : 0) >= 2
  const cutter = signal()
  const runner = signal()
  const committer = signal()
  const wakeAll = () => {
    cutter.fire()
    runner.fire()
    committer.fire()
  }

  // The messages of the cut being handed on, until its frame is in Redis: views into kafkajs' fetch
  // responses, written as they are. Kept here, not in a local of the async stage below: a local
  // stays in its suspended frame after its last use and would pin whole fetch responses.
  let messages: BufferedMessage[] = []

  /** The next cut from the batcher, its messages in `messages`; null when none is due yet. */
  function takeCut(): Batch | null {
    const cut = d.batcher.cut(Date.now())
    if (!cut) return null
    const range = { epoch: d.epoch, firstOffset: cut.firstOffset, lastOffset: cut.lastOffset }
    const job = { instance: d.instance, epoch: d.epoch, topic: d.topic, partition: d.partition, firstOffset: cut.firstOffset, lastOffset: cut.lastOffset, messageCount: cut.messages.length }
    messages = cut.messages
    return { job, range, first: ownCopy(cut.messages[0]!) }
  }

  async function writeFrame(batch: Batch): Promise<void> {
    await d.waiter.put(batch.job, messages)
    messages = []
  }

  /** Stage 1. A cut stays here until it is handed on: a Redis hiccup retries the same cut, never a new one, which would change the labels. */
  async function cutBatches(): Promise<void> {
    let recorded = false
    while (current()) {
      try {
        if (enoughAhead()) {
          await cutter.wait()
          continue
        }
        if (!preparing) {
          preparing = takeCut()
          if (!preparing) {
            await cutter.wait(d.batcher.waitMs(Date.now()))
            continue
          }
          recorded = false
          d.resume()
        }
        const batch = preparing
        if (!recorded) {
          if (!(await d.ranges.record(d.topic, d.partition, batch.range, d.fence))) {
            d.log.warn(where, 'instance lease lost or a newer fetcher took over: no batch cut, the new owner continues')
            return stop('the instance lease or the batch range fence was lost')
          }
          // Stopped while recording: the range passed the fence, so the successor, which reads the
          // ranges only after taking the fence, cuts it again whole; its job is the one to queue.
          if (!current()) return
          recorded = true
        }
        await writeFrame(batch)
        next = batch
        preparing = null
        runner.fire()
      } catch (err) {
        d.log.warn({ ...where, err: (err as Error).message }, 'could not hand the next batch on, retrying')
        await pause()
      }
    }
  }

  // Completed, their commit not landed yet: the ranges to forget once it has.
  const done: BatchRange[] = []
  // A never-settling promise: nothing but the completion to wait for.
  const never = new Promise<null>(() => {})

  /**
   * Stage 2: at most two jobs of the partition queued, in offset order; the second names the first
   * as its `previous`, so a loader builds it meanwhile and loads it only after (src/jobs/batch-order.ts).
   */
  async function loadBatches(): Promise<void> {
    let completion: Promise<JobOutcome> | null = null
    while (current()) {
      try {
        if (!queuing && next && queued.length < 2) {
          queuing = next
          next = null
          // Room for the next cut; a partition held back for the budget fetches again.
          cutter.fire()
          d.resume()
          const before = queued.at(-1)
          if (before) queuing.job.previous = { firstOffset: before.range.firstOffset, lastOffset: before.range.lastOffset }
        }
        if (queuing) {
          await d.waiter.enqueue(queuing.job)
          queued.push(queuing)
          queuing = null
          continue
        }
        const oldest = queued[0]
        if (!oldest) {
          await runner.wait()
          continue
        }
        completion ??= d.waiter.completion(oldest.job, current)
        // Woken too by a batch ready to queue behind the oldest.
        const outcome = await Promise.race([completion, queued.length < 2 ? runner.wait().then(() => null) : never])
        if (outcome === null) continue
        completion = null
        if (outcome === 'abandoned' || !current()) return
        if (outcome === 'lost') {
          d.log.warn({ ...where, firstOffset: oldest.range.firstOffset, lastOffset: oldest.range.lastOffset }, "a batch's messages are gone from Redis (it lost data): the fetcher starts again and cuts the batch again from Kafka")
          // The job behind it would wait for it for ever: it is cut again too.
          for (const behind of queued.slice(1)) await d.waiter.remove(behind.job).catch(() => {})
          return stop("Redis lost a batch's messages")
        }
        queued.shift()
        done.push(oldest.range)
        committer.fire()
        // Room for the next batch: cut it (held back while two were queued) and fetch again.
        cutter.fire()
        d.resume()
      } catch (err) {
        completion = null
        d.log.warn({ ...where, err: (err as Error).message }, 'batch hand-off failed, retrying')
        await pause()
      }
    }
  }

  /**
   * Stage 3. Commits whatever completed since the last one, newest offset only, then forgets the
   * ranges it covers; commit before clear, so a successor that finds no range sees the commit.
   * Abandoned meanwhile, it commits nothing: the successor re-cuts the recorded ranges (same labels,
   * nothing loads twice) and commits them itself, and a late commit of ours, landing after the
   * successor's, would move the offset back. The check and the commit are not atomic; one that
   * slips past a rebalance only confirms loaded rows.
   */
  async function commitBatches(): Promise<void> {
    while (current()) {
      if (done.length === 0) {
        await committer.wait()
        continue
      }
      const covered = done.length
      const last = done[covered - 1]!
      try {
        await d.commit(String(BigInt(last.lastOffset) + 1n))
        for (const range of done.slice(0, covered)) await d.ranges.clear(d.topic, d.partition, range)
        done.splice(0, covered)
        d.log.debug({ ...where, lastOffset: last.lastOffset }, 'batches committed')
      } catch (err) {
        d.log.warn({ ...where, err: (err as Error).message }, 'could not commit the offset, retrying')
        await pause()
      }
    }
  }

  void cutBatches()
  void loadBatches()
  void commitBatches()

  return {
    wake: () => cutter.fire(),
    oldest: () => queued[0]?.first ?? queuing?.first ?? next?.first ?? preparing?.first ?? d.batcher.first,
    inFlight: () => queued.length > 0 || queuing !== null || next !== null || preparing !== null,
    abandon() {
      alive = false
      wakeAll()
    },
  }
}

function ownCopy(m: BufferedMessage): BufferedMessage {
  return { ...m, key: null, value: m.value && Buffer.from(m.value) }
}
