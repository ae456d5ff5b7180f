import { QueueEvents, type Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { jobPayloads } from '../jobs/job-payload.ts'
import { loadJobId, loadQueueName, type LoadJobData } from '../jobs/load-job.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * Queues a batch's job, with its payload frame beside it, and resolves once it completed. Completion events wake the waiter at once;
 * a slow poll of the job's state backs them up, because an event can be missed across a Redis
 * reconnect. A job that vanished (removed after completion, or lost by a Redis restart) is queued
 * again, and a frame that vanished is written again: the labels make a second run harmless. Once the
 * job completed nothing reads the frame any more, so it is dropped.
 */
export type JobWaiter = {
  run(data: LoadJobData, frame: Buffer, shouldWait: () => boolean): Promise<boolean>
  close(): Promise<void>
}

const pollMs = 1_000

export function jobWaiter(queue: Queue<LoadJobData>, connection: Redis, keys: RedisKeys): JobWaiter {
  // QueueEvents blocks on its connection, so it gets one of its own.
  const blocking = connection.duplicate()
  const events = new QueueEvents(loadQueueName, { connection: blocking, prefix: keys.bullPrefix })
  const payloads = jobPayloads(connection, keys)
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
    /** False when `shouldWait` turned false first (the fetcher lost the partition or stopped). */
    async run(data, frame, shouldWait) {
      const jobId = loadJobId(data)
      // The frame first: a worker may take the job the moment it exists.
      await payloads.put(jobId, frame)
      await enqueue(data, jobId)
      while (shouldWait()) {
        const state = await queue.getJobState(jobId)
        if (state === 'completed') {
          await payloads.drop(jobId)
          return true
        }
        await payloads.ensure(jobId, frame)
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
      return false
    },
    async close() {
      for (const wake of wakers.values()) wake()
      await events.close()
      blocking.disconnect()
    },
  }
}
