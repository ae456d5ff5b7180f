import type { BatchRange } from '../jobs/batch-ranges.ts'

/**
 * Where a fetcher takes a partition up: at its committed offset, or at the recorded range of a
 * batch that was cut and may be loaded already, which must then be cut again exactly (docs/design.md
 * invariant 4).
 *
 * The range is read before the committed offset. A loop of an older generation may still commit
 * its batch and then clear its range while we read: commit-before-clear means a range already
 * cleared implies its commit is already visible to the read that follows. Read the other way round,
 * a commit landing between the two reads looked like "nothing committed, nothing recorded", and the
 * batch was cut again under new boundaries, so under new labels: loaded twice.
 */
export type StartReads = {
  range(): Promise<BatchRange | null>
  committed(): Promise<bigint | null>
  clear(range: BatchRange): Promise<void>
}

/** `start` null: nothing committed or recorded yet, the start policy decides. */
export type StartPosition = { start: bigint | null; replay: BatchRange | null }

export async function startPosition(reads: StartReads, epoch: number): Promise<StartPosition> {
  const range = await reads.range()
  const committed = await reads.committed()
  if (range && (range.epoch !== epoch || (committed !== null && BigInt(range.firstOffset) !== committed))) {
    // From before an operator's E-B/L-B start, or its offset was committed before it was cleared.
    await reads.clear(range)
    return { start: committed, replay: null }
  }
  return { start: range ? BigInt(range.firstOffset) : committed, replay: range }
}
