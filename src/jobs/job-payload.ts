import type { Redis } from 'ioredis'
import type { BatchMessage } from './load-job.ts'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * A batch's raw Kafka values travel beside its BullMQ job, not inside it: in the job they were
 * JSON-encoded (canal JSON escaped inside JSON) into the job hash and parsed back by the worker,
 * 13% of a node's CPU in the first benchmark. Here they are one binary frame, written once by the
 * fetcher and read once per attempt by a worker.
 *
 * Frame without keys (every canal batch, and every frame before keys were kept): u32 count, then
 * per message: u8 offset length, the offset in ASCII, i32 value length (-1 for a tombstone), the
 * value's bytes. Frame with keys (Debezium takes a row's key from the message key): u32 0xFFFFFFFF,
 * u8 version 2, u32 count, then per message the offset, i32 key length (-1 for none), the key's
 * bytes, then the value as above. A batch without any key is written the old way, so a canal frame
 * costs nothing more and old loaders still read it.
 */
const keyedMark = 0xffffffff
const keyedVersion = 2

export function encodePayload(messages: readonly BatchMessage[]): Buffer {
  const keyed = messages.some((m) => m.key != null)
  let size = keyed ? 9 : 4
  for (const m of messages) size += 1 + m.offset.length + 4 + (m.value?.length ?? 0) + (keyed ? 4 + (m.key?.length ?? 0) : 0)
  const frame = Buffer.allocUnsafe(size)
  let at = 0
  if (keyed) {
    at = frame.writeUInt32BE(keyedMark, at)
    at = frame.writeUInt8(keyedVersion, at)
  }
  at = frame.writeUInt32BE(messages.length, at)
  for (const m of messages) {
    at = frame.writeUInt8(m.offset.length, at)
    at += frame.write(m.offset, at, 'latin1')
    if (keyed) at = writeBytes(frame, at, m.key ?? null)
    at = writeBytes(frame, at, m.value)
  }
  return frame
}

function writeBytes(frame: Buffer, at: number, bytes: Buffer | null): number {
  at = frame.writeInt32BE(bytes ? bytes.length : -1, at)
  return bytes ? at + bytes.copy(frame, at) : at
}

/** The values and keys are views into `frame`, not copies. */
export function decodePayload(frame: Buffer): BatchMessage[] {
  let at = 0
  const keyed = frame.length >= 4 && frame.readUInt32BE(0) === keyedMark
  if (keyed) {
    const version = frame.readUInt8(4)
    if (version !== keyedVersion) throw new Error(`batch payload frame version ${version} is newer than this loader reads (${keyedVersion})`)
    at = 5
  }
  const count = frame.readUInt32BE(at)
  at += 4
  const messages: BatchMessage[] = new Array(count)
  const readBytes = (): Buffer | null => {
    const length = frame.readInt32BE(at)
    at += 4
    if (length < 0) return null
    if (at + length > frame.length) throw new RangeError(`batch payload frame cut short: ${length} bytes announced, ${frame.length - at} left`)
    const bytes = frame.subarray(at, at + length)
    at += length
    return bytes
  }
  for (let i = 0; i < count; i++) {
    const offsetLength = frame.readUInt8(at)
    const offset = frame.toString('latin1', at + 1, at + 1 + offsetLength)
    at += 1 + offsetLength
    const key = keyed ? readBytes() : null
    messages[i] = keyed ? { offset, key, value: readBytes() } : { offset, value: readBytes() }
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
