import assert from 'node:assert/strict'
import { test } from 'node:test'
import { actualState, type StateInputs } from '../../src/instances/instance-state.ts'

const ok = { state: 'ok' as const, reason: '', since: '', attempts: 0 }
const retrying = (reason: string) => ({ state: 'retrying' as const, reason, since: '2026-01-01T00:00:00Z', attempts: 3 })
const moving: StateInputs = {
  desired: 'running',
  owner: 'node-a',
  health: ok,
  lagMessages: 0,
  noProgressMs: 0,
  stallAfterMs: 60_000,
  fetchersOnline: 1,
  loadersOnline: 1,
  batchInFlight: false,
  queue: { waiting: 0, active: 0 },
}
// The English reason; the code and params beside it are checked in their own test.
const seen = (i: StateInputs) => {
  const { state, reason } = actualState(i)
  return { state, reason: reason?.message ?? '' }
}
const stuck = (fields: Partial<StateInputs>) => seen({ ...moving, lagMessages: 12, noProgressMs: 61_000, ...fields })

test('the state an operator sees follows desired state, lease holder and the last failure', () => {
  assert.deepEqual(seen({ ...moving, desired: 'stopped', owner: null }), { state: 'stopped', reason: '' })
  assert.deepEqual(seen({ ...moving, desired: 'stopped', health: retrying('x') }), { state: 'stopped', reason: '' })
  assert.deepEqual(seen({ ...moving, owner: null }), { state: 'starting', reason: 'waiting for a fetcher node to take it' })
  assert.deepEqual(seen(moving), { state: 'running', reason: '' })
  assert.deepEqual(seen({ ...moving, health: retrying('stream load dw.t: Fail: too many versions') }), { state: 'retrying', reason: 'stream load dw.t: Fail: too many versions' })
  assert.deepEqual(seen({ ...moving, owner: null, health: retrying('fetcher: connection refused') }), { state: 'failed', reason: 'fetcher: connection refused' })
})

test('behind with no progress past stallAfterMs is stalled, with the cause it knows', () => {
  assert.deepEqual(stuck({ health: retrying('stream load dw.t: ECONNREFUSED') }), { state: 'stalled', reason: 'retrying: stream load dw.t: ECONNREFUSED' })
  assert.deepEqual(stuck({ owner: null, fetchersOnline: 0 }), { state: 'stalled', reason: 'no node: no fetcher node is online (12 messages behind)' })
  assert.match(stuck({ owner: null, fetchersOnline: 2 }).reason, /^no node: none of the 2 online fetcher nodes took it/)
  assert.deepEqual(stuck({ batchInFlight: true, loadersOnline: 0 }), { state: 'stalled', reason: 'paused: a batch waits for a loader and no loader node is online' })
  assert.deepEqual(stuck({ batchInFlight: true, queue: { waiting: 7, active: 4 } }), { state: 'stalled', reason: 'a batch has not finished loading (7 jobs waiting for a loader, 4 loading)' })
  assert.deepEqual(stuck({}), { state: 'stalled', reason: 'no progress for 61s while 12 messages behind' })
})

test('never stalled when caught up, stopped, below the threshold or with the lag unknown', () => {
  assert.equal(stuck({ lagMessages: 0 }).state, 'running')
  assert.equal(stuck({ lagMessages: 0, health: retrying('x') }).state, 'retrying')
  assert.equal(stuck({ desired: 'stopped' }).state, 'stopped')
  assert.equal(stuck({ noProgressMs: 59_999 }).state, 'running')
  assert.equal(stuck({ lagMessages: null, owner: null }).state, 'starting')
  // A fetcher that cannot start says so, rather than the generic stall.
  assert.equal(stuck({ owner: null, health: retrying('fetcher: no such topic') }).state, 'failed')
})

test('every reason carries its message code and the numbers in it as params', () => {
  assert.deepEqual(actualState({ ...moving, lagMessages: 12, noProgressMs: 61_000, owner: null, fetchersOnline: 2 }).reason, {
    code: 'state.stalled_not_taken',
    params: { online: 2, behind: 12 },
    message: 'no node: none of the 2 online fetcher nodes took it; check pinNode / pinCluster (12 messages behind)',
  })
  assert.deepEqual(actualState({ ...moving, health: retrying('stream load dw.t: Fail') }).reason?.code, 'state.retrying')
  assert.equal(actualState(moving).reason, null)
})
