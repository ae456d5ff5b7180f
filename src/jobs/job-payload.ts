import type { Redis } from 'ioredis'
import type { BatchMessage } from './load-job.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * A batch's raw Kafka values travel beside its BullMQ job, not inside it: in the job they were
 * JSON-encoded (canal JSON escaped inside JSON) into the job hash and parsed back by the worker,
 * 13% of a node's CPU in the first benchmark. Here they are one binary frame, written once by the
 * fetcher and read once per attempt by a worker.
 *
 * Frame: u32 count, then per message: u8 offset length, the offset in ASCII, i32 value length
 * (-1 for a tombstone), the value's bytes.
 */
export function encodePayload(messages: readonly BatchMessage[]): Buffer {
  let size = 4
  for (const m of messages) size += 1 + m.offset.length + 4 + (m.value?.length ?? 0)
  const frame = Buffer.allocUnsafe(size)
  let at = frame.writeUInt32BE(messages.length, 0)
  for (const m of messages) {
    at = frame.writeUInt8(m.offset.length, at)
    at += frame.write(m.offset, at, 'latin1')
    at = frame.writeInt32BE(m.value ? m.value.length : -1, at)
    if (m.value) at += m.value.copy(frame, at)
  }
  return frame
}

/** The values are views into `frame`, not copies. */
export function decodePayload(frame: Buffer): BatchMessage[] {
  const count = frame.readUInt32BE(0)
  const messages: BatchMessage[] = new Array(count)
  let at = 4
  for (let i = 0; i < count; i++) {
    const offsetLength = frame.readUInt8(at)
    const offset = frame.toString('latin1', at + 1, at + 1 + offsetLength)
    at += 1 + offsetLength
    const length = frame.readInt32BE(at)
    at += 4
    messages[i] = { offset, value: length < 0 ? null : frame.subarray(at, at + length) }
    if (length > 0) at += length
  }
  if (at !== frame.length) throw new Error(`batch payload frame has ${frame.length - at} bytes after its ${count} messages`)
  return messages
}

export type JobPayloads = ReturnType<typeof jobPayloads>

/**
 * The frames in Redis, by job id. No expiry: a job may wait days for StarRocks to come back, and
 * its frame must still be there. The fetcher drops a frame once it saw its job complete.
 */
export function jobPayloads(redis: Redis, keys: RedisKeys) {
  return {
    put: (jobId: string, frame: Buffer) => redis.set(keys.jobPayload(jobId), frame).then(() => undefined),
    /** Writes the frame again only if it is gone (a Redis that restarted without it). */
    async ensure(jobId: string, frame: Buffer): Promise<void> {
      if ((await redis.exists(keys.jobPayload(jobId))) === 0) await redis.set(keys.jobPayload(jobId), frame)
    },
    async get(jobId: string): Promise<BatchMessage[] | null> {
      const frame = await redis.getBuffer(keys.jobPayload(jobId))
      return frame ? decodePayload(frame) : null
    },
    drop: (jobId: string) => redis.unlink(keys.jobPayload(jobId)).then(() => undefined),
  }
}
