import type { BatchRange } from '../jobs/batch-ranges.ts'

/**
 * Where a fetcher takes a partition up: at its committed offset, or at the recorded ranges of
 * batches that were cut and may be loaded already, which must then be cut again exactly, in order
 * (docs/design.md invariant 4).
 *
 * The ranges are read before the committed offset. A loop of an older generation may still commit
 * a batch and then clear its range while we read: commit-before-clear means a range already
 * cleared implies its commit is already visible to the read that follows. Read the other way round,
 * a commit landing between the two reads looked like "nothing committed, nothing recorded", and the
 * batch was cut again under new boundaries, so under new labels: loaded twice.
 */
export type StartReads = {
  ranges(): Promise<BatchRange[]>
  committed(): Promise<bigint | null>
  clear(range: BatchRange): Promise<void>
}

/** `start` null: nothing committed or recorded yet, the start policy decides. */
export type StartPosition = { start: bigint | null; replay: BatchRange[] }

export async function startPosition(reads: StartReads, epoch: number): Promise<StartPosition> {
  const recorded = await reads.ranges()
  const committed = await reads.committed()
  const replay: BatchRange[] = []
  for (const range of recorded) {
    const before = replay.at(-1)
    // The first must start at the committed offset, each next one after the one before it.
    const follows = before ? BigInt(range.firstOffset) > BigInt(before.lastOffset) : committed === null || BigInt(range.firstOffset) === committed
    // From before an operator's E-B/L-B start, committed before it was cleared, or not where the
    // partition continues: forgotten, and the batch is cut afresh.
    if (range.epoch !== epoch || !follows) await reads.clear(range)
    else replay.push(range)
  }
  return { start: replay[0] ? BigInt(replay[0].firstOffset) : committed, replay }
}
