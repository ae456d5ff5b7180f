import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FetcherReport } from '../../src/instances/fetcher-report.ts'
import { actualState, type StateInputs } from '../../src/instances/instance-state.ts'

const ok = { state: 'ok' as const, reason: '', since: '', attempts: 0 }
const retrying = (reason: string) => ({ state: 'retrying' as const, reason, since: '2026-01-01T00:00:00Z', attempts: 3 })
const report = (fields: Partial<FetcherReport>): FetcherReport => ({ node: 'node-a', phase: 'fetching', reason: '', code: '', params: {}, since: 0, ...fields })
const unreachable = report({ phase: 'retrying', code: 'kafka.unreachable', params: { bootstrap: '127.0.0.1:9092', reason: 'ECONNREFUSED' }, reason: 'unreachable: Kafka at 127.0.0.1:9092 did not answer (ECONNREFUSED)' })
const moving: StateInputs = {
  desired: 'running',
  owner: 'node-a',
  fetcher: report({}),
  health: ok,
  lagMessages: 0,
  noProgressMs: 0,
  stallAfterMs: 60_000,
  fetchersOnline: 1,
  loadersOnline: 1,
  batchInFlight: false,
  queue: { waiting: 0, active: 0 },
}
// What the operator reads: the state, the English reason and its code.
const brief = (i: StateInputs) => {
  const { state, reason } = actualState(i)
  return { state, reason: reason?.message ?? '', code: reason?.code ?? null }
}
const stuck = (fields: Partial<StateInputs>) => brief({ ...moving, lagMessages: 12, noProgressMs: 61_000, ...fields })

test('running only once the lease holder\'s fetcher joined its group and fetches', () => {
  assert.deepEqual(brief(moving), { state: 'running', reason: '', code: null })
  // Holding the lease is not running: the consumer has not joined or fetched yet.
  assert.deepEqual(brief({ ...moving, fetcher: null }), { state: 'starting', reason: 'node-a is connecting to Kafka and joining the consumer group', code: 'state.connecting' })
  assert.equal(brief({ ...moving, fetcher: report({ phase: 'connecting' }) }).state, 'starting')
  // What an earlier holder reported is not what the new one does.
  assert.equal(brief({ ...moving, fetcher: report({ node: 'node-b' }) }).state, 'starting')
  assert.equal(brief({ ...moving, owner: 'node-b', fetcher: unreachable }).state, 'starting')
})

test('the state an operator sees follows desired state, lease holder and the last failure', () => {
  assert.deepEqual(actualState({ ...moving, desired: 'stopped', owner: null }), { state: 'stopped', reason: null })
  assert.equal(brief({ ...moving, desired: 'stopped', health: retrying('x'), fetcher: unreachable }).state, 'stopped')
  assert.deepEqual(brief({ ...moving, owner: null }), { state: 'starting', reason: 'waiting for a fetcher node to take it', code: 'state.waiting_for_fetcher' })
  assert.deepEqual(brief({ ...moving, owner: null, fetchersOnline: 0 }), { state: 'failed', reason: 'no node: no fetcher node is online', code: 'state.no_fetcher_node' })
  assert.deepEqual(actualState({ ...moving, health: retrying('stream load dw.t: Fail: too many versions') }), {
    state: 'retrying',
    reason: { code: 'state.retrying', params: { detail: 'stream load dw.t: Fail: too many versions' }, message: 'stream load dw.t: Fail: too many versions' },
  })
  // Kafka that cannot be reached: retrying, with the fetcher's reason and its code for the console.
  assert.deepEqual(actualState({ ...moving, fetcher: unreachable }), { state: 'retrying', reason: { code: 'kafka.unreachable', params: unreachable.params, message: unreachable.reason } })
  assert.equal(brief({ ...moving, fetcher: unreachable, health: retrying('x') }).code, 'kafka.unreachable')
  // A code this admin does not know (a newer node wrote it) still shows the English.
  assert.deepEqual(brief({ ...moving, fetcher: report({ phase: 'retrying', code: 'kafka.from_the_future', reason: 'something new' }) }), { state: 'retrying', reason: 'something new', code: 'state.retrying' })
})

test('behind with no progress past stallAfterMs is stalled, with the cause it knows', () => {
  // Stalled because it keeps failing: the failure is the reason.
  assert.deepEqual(stuck({ health: retrying('stream load dw.t: ECONNREFUSED') }), { state: 'stalled', reason: 'stream load dw.t: ECONNREFUSED', code: 'state.retrying' })
  assert.deepEqual(stuck({ fetcher: unreachable }), { state: 'stalled', reason: unreachable.reason, code: 'kafka.unreachable' })
  assert.deepEqual(stuck({ owner: null, fetchersOnline: 0 }), { state: 'stalled', reason: 'no node: no fetcher node is online (12 messages behind)', code: 'state.stalled_no_fetcher' })
  assert.match(stuck({ owner: null, fetchersOnline: 2 }).reason, /^no node: none of the 2 online fetcher nodes took it/)
  assert.equal(stuck({ batchInFlight: true, loadersOnline: 0 }).reason, 'paused: a batch waits for a loader and no loader node is online')
  assert.deepEqual(actualState({ ...moving, lagMessages: 12, noProgressMs: 61_000, batchInFlight: true, queue: { waiting: 7, active: 4 } }).reason?.params, { waiting: 7, active: 4 })
  assert.deepEqual(actualState({ ...moving, lagMessages: 12, noProgressMs: 61_000 }), { state: 'stalled', reason: { code: 'state.stalled_no_progress', params: { seconds: 61, behind: 12 }, message: 'no progress for 61s while 12 messages behind' } })
})

test('never stalled when caught up, stopped, below the threshold or with the lag unknown', () => {
  assert.equal(stuck({ lagMessages: 0 }).state, 'running')
  assert.equal(stuck({ lagMessages: 0, health: retrying('x') }).state, 'retrying')
  assert.equal(stuck({ desired: 'stopped' }).state, 'stopped')
  assert.equal(stuck({ noProgressMs: 59_999 }).state, 'running')
  assert.equal(stuck({ lagMessages: null, owner: null }).state, 'starting')
  assert.equal(stuck({ lagMessages: null, fetcher: unreachable }).state, 'retrying')
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
