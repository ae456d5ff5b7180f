import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BatchRange } from '../../src/jobs/batch-ranges.ts'
import { startPosition, type StartReads } from '../../src/fetcher/start-position.ts'

/**
 * A partition taken up while a loop of the previous generation still finishes its batches: its
 * commit and then the clear of a range can land at any moment of our two reads. Whatever the
 * interleaving, the new fetcher must either cut those batches again exactly (same labels) or start
 * after them — never start at a batch's first offset without its boundaries, which loads it twice.
 */
const loaded: BatchRange = { epoch: 3, firstOffset: '200', lastOffset: '299' }
/** Cut while `loaded` loaded (batches are pipelined): recorded, maybe queued, not committed. */
const next: BatchRange = { epoch: 3, firstOffset: '300', lastOffset: '349' }

function partitionState(committed: bigint | null, ranges: BatchRange[]) {
  const state = { committed, ranges }
  const reads = (hooks: { beforeRanges?: () => void; beforeCommitted?: () => void; afterCommitted?: () => void }): StartReads => ({
    async ranges() {
      hooks.beforeRanges?.()
      return [...state.ranges]
    },
    async committed() {
      hooks.beforeCommitted?.()
      const value = state.committed
      hooks.afterCommitted?.()
      return value
    },
    async clear(range) {
      state.ranges = state.ranges.filter((r) => JSON.stringify(r) !== JSON.stringify(range))
    },
  })
  return { state, reads }
}

test('an older loop committing and clearing between any two reads never loses the batch boundaries', async () => {
  const points = ['beforeRanges', 'beforeCommitted', 'afterCommitted'] as const
  for (const recorded of [[loaded], [loaded, next]]) {
    for (const [i, commitAt] of points.entries()) {
      for (const clearAt of points.slice(i)) {
        const { state, reads } = partitionState(200n, recorded)
        const steps: Record<string, Array<() => void>> = {}
        const at = (point: string, step: () => void) => (steps[point] ??= []).push(step)
        at(commitAt, () => (state.committed = 300n))
        at(clearAt, () => (state.ranges = state.ranges.filter((r) => r !== loaded)))
        const run = (point: string) => () => steps[point]?.forEach((step) => step())
        const position = await startPosition(reads({ beforeRanges: run('beforeRanges'), beforeCommitted: run('beforeCommitted'), afterCommitted: run('afterCommitted') }), 3)
        const where = `${recorded.length} recorded, commit ${commitAt}, clear ${clearAt}`
        const after = recorded.slice(1)
        if (position.replay[0] === loaded) assert.deepEqual(position, { start: 200n, replay: recorded }, where)
        else assert.deepEqual(position, { start: 300n, replay: after }, where)
      }
    }
  }
})

test('recorded ranges at the committed offset are cut again in order; one already committed is cleared', async () => {
  const atCommitted = partitionState(200n, [loaded, next])
  assert.deepEqual(await startPosition(atCommitted.reads({}), 3), { start: 200n, replay: [loaded, next] })
  assert.deepEqual(atCommitted.state.ranges, [loaded, next])

  // The commit past `loaded` landed, the fetcher died before it cleared the range.
  const firstCommitted = partitionState(300n, [loaded, next])
  assert.deepEqual(await startPosition(firstCommitted.reads({}), 3), { start: 300n, replay: [next] })
  assert.deepEqual(firstCommitted.state.ranges, [next])

  const allCommitted = partitionState(350n, [loaded, next])
  assert.deepEqual(await startPosition(allCommitted.reads({}), 3), { start: 350n, replay: [] })
  assert.deepEqual(allCommitted.state.ranges, [])
})

test('a range that does not continue where the partition stands is forgotten, and so is every one after it', async () => {
  const gap = partitionState(150n, [loaded, next])
  assert.deepEqual(await startPosition(gap.reads({}), 3), { start: 150n, replay: [] })
  assert.deepEqual(gap.state.ranges, [])
})

test('nothing committed yet: the recorded ranges decide, else the start policy', async () => {
  assert.deepEqual(await startPosition(partitionState(null, [loaded, next]).reads({}), 3), { start: 200n, replay: [loaded, next] })
  assert.deepEqual(await startPosition(partitionState(null, []).reads({}), 3), { start: null, replay: [] })
})

test("ranges from before an operator's reset (older epoch) are dropped", async () => {
  const old = partitionState(200n, [{ ...loaded, epoch: 2 }, { ...next, epoch: 2 }])
  assert.deepEqual(await startPosition(old.reads({}), 3), { start: 200n, replay: [] })
  assert.deepEqual(old.state.ranges, [])
})
