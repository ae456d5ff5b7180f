import type { BatchRanges, BatchRange } from '../jobs/batch-ranges.ts'
import { encodePayload } from '../jobs/job-payload.ts'
import type { LoadJobData } from '../jobs/load-job.ts'
import type { Logger } from '../observe/logger.ts'
import type { JobWaiter } from './job-waiter.ts'
import type { BufferedMessage, PartitionBatcher } from './partition-batcher.ts'

/**
 * The hand-off of one topic-partition, batch after batch: cut → record the range → queue the job →
 * wait until it completed → commit `last + 1` → forget the range. This is the one place an offset
 * is committed (docs/design.md invariant 1), and one batch at a time keeps rows in Kafka order
 * (invariant 2).
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
  /** Fetching again once a cut made room in the buffer, or a commit ended the batch in flight. */
  resume(): void
  /** False once the partition may belong to someone else (rebalance, stop). */
  isCurrent(): boolean
  /**
   * A current loop could not record a range: the lease or the fence is gone (say, a Redis that
   * came back without it). The fetcher must start afresh rather than stand still.
   */
  fenceLost(): void
  log: Logger
}

export type PartitionLoop = {
  wake(): void
  abandon(): void
  /** The oldest message not committed yet: the first of the batch in flight, else of the buffer. */
  oldest(): BufferedMessage | null
  /** A batch is cut and not committed yet. */
  inFlight(): boolean
}

const retryMs = 1_000

export function startPartitionLoop(d: PartitionLoopDeps): PartitionLoop {
  let alive = true
  let wake = () => {}
  const current = () => alive && d.isCurrent()
  const sleep = (ms: number | null) =>
    new Promise<void>((resolve) => {
      const timer = ms === null ? undefined : setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  // A cut stays here until its offset is committed: a Redis or Kafka hiccup retries the same
  // cut, never a new one, which would change the labels. Of its messages only the frame and the
  // first (for the lag in seconds) are kept, the first as a copy: its value is a view into a whole
  // kafkajs fetch response, which it would keep alive as long as the batch is in flight.
  let pending: { range: BatchRange; frame: Buffer; messageCount: number; first: BufferedMessage; recorded: boolean } | null = null

  void (async () => {
    while (current()) {
      try {
        if (!pending) {
          const cut = d.batcher.cut(Date.now())
          if (!cut) {
            await sleep(d.batcher.waitMs(Date.now()))
            continue
          }
          const range = { epoch: d.epoch, firstOffset: cut.firstOffset, lastOffset: cut.lastOffset }
          pending = { range, frame: encodePayload(cut.messages), messageCount: cut.messages.length, first: ownCopy(cut.messages[0]!), recorded: false }
          d.resume()
        }
        const { range } = pending
        if (!pending.recorded) {
          if (!(await d.ranges.record(d.topic, d.partition, range, d.fence))) {
            d.log.warn({ topic: d.topic, partition: d.partition }, 'instance lease lost or a newer fetcher took over: no batch cut, the new owner continues')
            if (current()) d.fenceLost()
            return
          }
          // Stopped while recording: the range passed the fence, so the successor, which reads the
          // ranges only after taking the fence, cuts it again whole; its job is the one to queue.
          if (!current()) return
          pending.recorded = true
        }
        const job: LoadJobData = {
          instance: d.instance,
          epoch: d.epoch,
          topic: d.topic,
          partition: d.partition,
          firstOffset: range.firstOffset,
          lastOffset: range.lastOffset,
          messageCount: pending.messageCount,
        }
        if (!(await d.waiter.run(job, pending.frame, current))) return
        // Abandoned meanwhile: the successor re-cuts the recorded range (same labels, nothing loads
        // twice) and commits it itself; a late commit of ours, landing after the successor committed
        // further, would move the offset back. The check and the commit are not atomic; one that
        // slips past a rebalance only confirms loaded rows.
        if (!current()) return
        await d.commit(String(BigInt(range.lastOffset) + 1n))
        await d.ranges.clear(d.topic, d.partition, range)
        pending = null
        // Held back for the fetcher's buffer budget while this batch was in flight: fetch again.
        d.resume()
        d.log.debug({ topic: d.topic, partition: d.partition, firstOffset: range.firstOffset, lastOffset: range.lastOffset }, 'batch committed')
      } catch (err) {
        d.log.warn({ topic: d.topic, partition: d.partition, err: (err as Error).message }, 'batch hand-off failed, retrying')
        await sleep(retryMs)
      }
    }
  })()

  return {
    wake: () => wake(),
    oldest: () => pending?.first ?? d.batcher.first,
    inFlight: () => pending !== null,
    abandon() {
      alive = false
      wake()
    },
  }
}

function ownCopy(m: BufferedMessage): BufferedMessage {
  return { ...m, key: null, value: m.value && Buffer.from(m.value) }
}
