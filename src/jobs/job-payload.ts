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
  const { pieces, size } = framePieces(messages)
  return Buffer.concat(pieces, size)
}

/**
 * The frame as the pieces it is made of, in order: the small parts (counts, offsets, lengths) as
 * views into one buffer, the keys and values as the messages' own bytes, not copied.
 */
export function framePieces(messages: readonly BatchMessage[]): { pieces: Buffer[]; size: number } {
  const keyed = messages.some((m) => m.key != null)
  let metaSize = keyed ? 9 : 4
  let size = 0
  for (const m of messages) {
    metaSize += 1 + m.offset.length + 4 + (keyed ? 4 : 0)
    size += (m.value?.length ?? 0) + (keyed ? m.key?.length ?? 0 : 0)
  }
  size += metaSize
  const meta = Buffer.allocUnsafe(metaSize)
  const pieces: Buffer[] = []
  let at = 0
  let from = 0
  const bytes = (b: Buffer | null) => {
    at = meta.writeInt32BE(b ? b.length : -1, at)
    if (!b || b.length === 0) return
    pieces.push(meta.subarray(from, at), b)
    from = at
  }
  if (keyed) {
    at = meta.writeUInt32BE(keyedMark, at)
    at = meta.writeUInt8(keyedVersion, at)
  }
  at = meta.writeUInt32BE(messages.length, at)
  for (const m of messages) {
    at = meta.writeUInt8(m.offset.length, at)
    at += meta.write(m.offset, at, 'latin1')
    if (keyed) bytes(m.key ?? null)
    bytes(m.value)
  }
  if (from < at) pieces.push(meta.subarray(from, at))
  return { pieces, size }
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

/**
 * The frames in Redis, by job id. No expiry: a job may wait days for StarRocks to come back, and
 * its frame must still be there. The fetcher drops a frame once it saw its job complete.
 */
export function jobPayloads(redis: Redis, keys: RedisKeys) {
  return {
    has: async (jobId: string) => (await redis.exists(keys.jobPayload(jobId))) === 1,
    drop: (jobId: string) => redis.unlink(keys.jobPayload(jobId)).then(() => undefined),
  }
}
