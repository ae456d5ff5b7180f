import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BatchRange } from '../../src/jobs/batch-ranges.ts'
import { startPosition, type StartReads } from '../../src/fetcher/start-position.ts'

/**
 * A partition taken up while a loop of the previous generation still finishes its batch: its
 * commit and then the clear of its range can land at any moment of our two reads. Whatever the
 * interleaving, the new fetcher must either cut that batch again exactly (same labels) or start
 * after it — never start at its first offset without its boundaries, which loads it twice.
 */
const loaded: BatchRange = { epoch: 3, firstOffset: '200', lastOffset: '299' }

function partitionState(committed: bigint | null, range: BatchRange | null) {
  const state = { committed, range }
  const reads = (hooks: { beforeRange?: () => void; beforeCommitted?: () => void; afterCommitted?: () => void }): StartReads => ({
    async range() {
      hooks.beforeRange?.()
      return state.range
    },
    async committed() {
      hooks.beforeCommitted?.()
      const value = state.committed
      hooks.afterCommitted?.()
      return value
    },
    async clear(range) {
      if (JSON.stringify(state.range) === JSON.stringify(range)) state.range = null
    },
  })
  return { state, reads }
}

test('an older loop committing and clearing between any two reads never loses the batch boundaries', async () => {
  const points = ['beforeRange', 'beforeCommitted', 'afterCommitted'] as const
  for (const [i, commitAt] of points.entries()) {
    for (const clearAt of points.slice(i)) {
      const { state, reads } = partitionState(200n, loaded)
      const steps: Record<string, Array<() => void>> = {}
      const at = (point: string, step: () => void) => (steps[point] ??= []).push(step)
      at(commitAt, () => (state.committed = 300n))
      at(clearAt, () => (state.range = null))
      const run = (point: string) => () => steps[point]?.forEach((step) => step())
      const position = await startPosition(reads({ beforeRange: run('beforeRange'), beforeCommitted: run('beforeCommitted'), afterCommitted: run('afterCommitted') }), 3)
      const where = `commit ${commitAt}, clear ${clearAt}`
      if (position.replay) assert.deepEqual(position, { start: 200n, replay: loaded }, where)
      else assert.deepEqual(position, { start: 300n, replay: null }, where)
    }
  }
})

test('a recorded range at the committed offset is cut again; one already committed is cleared', async () => {
  const atCommitted = partitionState(200n, loaded)
  assert.deepEqual(await startPosition(atCommitted.reads({}), 3), { start: 200n, replay: loaded })
  assert.deepEqual(atCommitted.state.range, loaded)

  const alreadyCommitted = partitionState(300n, loaded)
  assert.deepEqual(await startPosition(alreadyCommitted.reads({}), 3), { start: 300n, replay: null })
  assert.equal(alreadyCommitted.state.range, null)
})

test('nothing committed yet: the recorded range decides, else the start policy', async () => {
  assert.deepEqual(await startPosition(partitionState(null, loaded).reads({}), 3), { start: 200n, replay: loaded })
  assert.deepEqual(await startPosition(partitionState(null, null).reads({}), 3), { start: null, replay: null })
})

test("a range from before an operator's reset (older epoch) is dropped", async () => {
  const old = partitionState(200n, { ...loaded, epoch: 2 })
  assert.deepEqual(await startPosition(old.reads({}), 3), { start: 200n, replay: null })
  assert.equal(old.state.range, null)
})
