import { QueueEvents, type Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { frameSocket } from '../jobs/frame-socket.ts'
import { jobPayloads } from '../jobs/job-payload.ts'
import { loadJobId, loadQueueName, type BatchMessage, type LoadJobData } from '../jobs/load-job.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * A batch's way through the queue: its frame is written to Redis as soon as it is cut (`put`), its
 * job queued (`enqueue`), and `completion` resolves when the job completed.
 * Completion events wake the waiter at once; a slow poll of the job's state backs them up, because
 * an event can be missed across a Redis reconnect. A job that vanished (removed after completion,
 * or lost by a Redis restart) is queued again: the labels make a second run harmless. The fetcher
 * keeps no copy of a frame: one Redis lost is `lost`, and the batch is cut again from Kafka. Once
 * the job completed nothing reads the frame any more, so it is dropped.
 */
export type JobOutcome = 'completed' | 'abandoned' | 'lost'

export type JobWaiter = {
  /** Writes the batch's frame, made of `messages` (src/jobs/frame-socket.ts). */
  put(data: LoadJobData, messages: readonly BatchMessage[]): Promise<void>
  /** Queues the batch's job; one whose id exists already (a successor re-cutting a range) is not queued twice. */
  enqueue(data: LoadJobData): Promise<void>
  /** Until the job completed; `abandoned` when `shouldWait` turned false first (the fetcher lost the partition or stopped). */
  completion(data: LoadJobData, shouldWait: () => boolean): Promise<JobOutcome>
  /** Removes a queued job whose batch will be cut again. */
  remove(data: LoadJobData): Promise<void>
  /** A recorded range that will not be cut again: its frame goes too, unless a job still needs it. */
  forget(batch: Parameters<typeof loadJobId>[0]): Promise<void>
  close(): Promise<void>
}

const pollMs = 1_000

export function jobWaiter(queue: Queue<LoadJobData>, connection: Redis, keys: RedisKeys): JobWaiter {
  // QueueEvents blocks on its connection, so it gets one of its own.
  const blocking = connection.duplicate()
  const events = new QueueEvents(loadQueueName, { connection: blocking, prefix: keys.bullPrefix })
  const payloads = jobPayloads(connection, keys)
  const frames = frameSocket(connection)
  const wakers = new Map<string, () => void>()
  events.on('completed', ({ jobId }) => wakers.get(jobId)?.())

  const enqueue = (data: LoadJobData, jobId: string) =>
    queue.add('load', data, {
      jobId,
      attempts: Number.MAX_SAFE_INTEGER,
      backoff: { type: 'k2s' },
      // A completed job still holds every raw message of its batch: keep only a short history (the
      // waiter learns of completion within a second; one it misses re-runs harmlessly, same labels).
      removeOnComplete: { age: 60, count: 100 },
      removeOnFail: false,
    })

  return {
    put: (data, messages) => frames.put(keys.jobPayload(loadJobId(data)), messages),
    enqueue: (data) => enqueue(data, loadJobId(data)).then(() => undefined),
    remove: (data) => queue.remove(loadJobId(data)).then(() => undefined),
    async completion(data, shouldWait) {
      const jobId = loadJobId(data)
      while (shouldWait()) {
        const state = await queue.getJobState(jobId)
        if (state === 'completed') {
          await payloads.drop(jobId)
          return 'completed'
        }
        if (!(await payloads.has(jobId))) {
          // Only a Redis that lost data (a restart without its latest writes, an eviction policy)
          // loses a frame. The job is of no use without it; the batch's range, if Redis kept it,
          // makes the re-cut batch the same job.
          await queue.remove(jobId).catch(() => 0)
          return 'lost'
        }
        if (state === 'unknown') await enqueue(data, jobId)
        else if (state === 'failed') await (await queue.getJob(jobId))?.retry('failed')
        else await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollMs)
          function done() {
            clearTimeout(timer)
            wakers.delete(jobId)
            resolve()
          }
          wakers.set(jobId, done)
        })
      }
      return 'abandoned'
    },
    async forget(batch) {
      const jobId = loadJobId(batch)
      const state = await queue.getJobState(jobId)
      if (state === 'unknown' || state === 'completed') await payloads.drop(jobId)
    },
    async close() {
      for (const wake of wakers.values()) wake()
      await events.close()
      blocking.disconnect()
      frames.close()
    },
  }
}
