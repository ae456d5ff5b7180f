import type { BatchRange } from '../jobs/batch-ranges.ts'

/**
 * The messages of one topic-partition waiting to become a batch, and the rule that cuts them:
 * at most `maxRows` rows and `maxBytes` bytes, or whatever arrived within `maxWaitMs` of the
 * first message; a message is never split. Recorded ranges (docs/design.md invariant 4) override the
 * rule: each batch ends exactly where it ended before.
 */
export type BufferedMessage = { offset: string; key?: Buffer | null; value: Buffer | null; rows: number; bytes: number; at: number }

export type Cut = { firstOffset: string; lastOffset: string; messages: BufferedMessage[] }

export type CutLimits = { maxRows: number; maxBytes: number; maxWaitMs: number }

export class PartitionBatcher {
  private messages: BufferedMessage[] = []
  private rows = 0
  private bytes = 0
  /** The recorded ranges still to cut again, oldest first. */
  private readonly replay: BatchRange[]
  /** Offset of the next message we expect; Kafka may hand a message again after a seek. */
  next: bigint

  constructor(
    private readonly limits: CutLimits,
    startOffset: bigint,
    replay: readonly BatchRange[],
  ) {
    this.next = startOffset
    this.replay = [...replay]
  }

  push(m: BufferedMessage): boolean {
    const offset = BigInt(m.offset)
    if (offset < this.next) return false
    this.next = offset + 1n
    this.messages.push(m)
    this.rows += m.rows
    this.bytes += m.bytes
    return true
  }

  /** Bytes of the messages waiting to be cut. */
  get buffered(): number {
    return this.bytes
  }

  /** A recorded range is being cut again: it must arrive whole, so it is never held back. */
  get replaying(): boolean {
    return this.replay.length > 0
  }

  /** The oldest message waiting to be cut. */
  get first(): BufferedMessage | null {
    return this.messages[0] ?? null
  }

  /**
   * A full batch is buffered behind the one in flight: time to stop fetching this partition. One
   * batch ahead is enough, since Kafka refills it far faster than StarRocks loads one; each more
   * would only hold another batch of raw messages in memory. Never while a replay waits for its
   * last offset: the range was cut under older limits and must arrive whole.
   */
  get full(): boolean {
    if (this.replaying) return false
    return this.rows >= this.limits.maxRows || this.bytes >= this.limits.maxBytes
  }

  /** Milliseconds until the time rule cuts, or null with nothing buffered (or a replay pending). */
  waitMs(now: number): number | null {
    const first = this.messages[0]
    if (!first || this.replaying) return null
    return Math.max(0, first.at + this.limits.maxWaitMs - now)
  }

  cut(now: number): Cut | null {
    if (this.replaying) return this.cutReplay()
    const first = this.messages[0]
    if (!first) return null
    let rows = 0
    let bytes = 0
    let n = 0
    while (n < this.messages.length) {
      const m = this.messages[n]!
      if (n > 0 && (rows + m.rows > this.limits.maxRows || bytes + m.bytes > this.limits.maxBytes)) break
      rows += m.rows
      bytes += m.bytes
      n++
    }
    const complete = n < this.messages.length || rows >= this.limits.maxRows || bytes >= this.limits.maxBytes
    if (!complete && now - first.at < this.limits.maxWaitMs) return null
    return this.take(n)
  }

  private cutReplay(): Cut | null {
    const range = this.replay[0]!
    const last = BigInt(range.lastOffset)
    const end = this.messages.findIndex((m) => BigInt(m.offset) >= last)
    if (end === -1) return null
    // The range's last message may be gone (retention, compaction): the next one still closes it.
    const n = BigInt(this.messages[end]!.offset) === last ? end + 1 : end
    this.replay.shift()
    // Every message of the range is gone: nothing to load, the next range (or the rule) cuts on.
    if (n === 0) return this.replaying ? this.cutReplay() : null
    const cut = this.take(n)
    return { ...cut, firstOffset: range.firstOffset, lastOffset: range.lastOffset }
  }

  private take(n: number): Cut {
    const messages = this.messages.splice(0, n)
    for (const m of messages) {
      this.rows -= m.rows
      this.bytes -= m.bytes
    }
    return { firstOffset: messages[0]!.offset, lastOffset: messages.at(-1)!.offset, messages }
  }
}

/**
 * Whether a partition stops fetching after a push. The fetcher's look-ahead, all its partitions'
 * buffered messages together, has one budget, so its memory does not grow with its partition count.
 * A partition stops once it holds a full next batch and its share of the budget (budget ÷
 * partitions: one busy partition alone may read several batches ahead, so it never waits for
 * Kafka between two batches; sixteen hold one each), or once the fetcher is over budget and it has
 * a batch in flight. A partition with nothing in flight must fill its next batch, and a replay must
 * arrive whole, so neither is held back for the budget.
 */
export function holdBack(batcher: PartitionBatcher, inFlight: boolean, share: number, lookAheadBytes: number, budget: number): boolean {
  if (batcher.replaying) return false
  if (batcher.full && batcher.buffered >= share) return true
  return inFlight && lookAheadBytes > budget
}
