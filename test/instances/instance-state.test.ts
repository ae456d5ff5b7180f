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
const stuck = (fields: Partial<StateInputs>) => actualState({ ...moving, lagMessages: 12, noProgressMs: 61_000, ...fields })
const brief = (i: StateInputs | ReturnType<typeof actualState>) => {
  const { state, reason, reasonCode } = 'desired' in i ? actualState(i) : i
  return { state, reason, reasonCode }
}

test('running only once the lease holder\'s fetcher joined its group and fetches', () => {
  assert.deepEqual(brief(moving), { state: 'running', reason: '', reasonCode: '' })
  // Holding the lease is not running: the consumer has not joined or fetched yet.
  assert.deepEqual(brief({ ...moving, fetcher: null }), { state: 'starting', reason: 'node-a is connecting to Kafka and joining the consumer group', reasonCode: 'state.connecting' })
  assert.equal(actualState({ ...moving, fetcher: report({ phase: 'connecting' }) }).state, 'starting')
  // What an earlier holder reported is not what the new one does.
  assert.equal(actualState({ ...moving, fetcher: report({ node: 'node-b' }) }).state, 'starting')
  assert.equal(actualState({ ...moving, owner: 'node-b', fetcher: unreachable }).state, 'starting')
})

test('the state an operator sees follows desired state, lease holder and the last failure', () => {
  assert.deepEqual(actualState({ ...moving, desired: 'stopped', owner: null }), { state: 'stopped', reason: '', reasonCode: '', reasonParams: {} })
  assert.equal(actualState({ ...moving, desired: 'stopped', health: retrying('x'), fetcher: unreachable }).state, 'stopped')
  assert.deepEqual(brief({ ...moving, owner: null }), { state: 'starting', reason: 'waiting for a fetcher node to take it', reasonCode: 'state.waitingForNode' })
  assert.deepEqual(brief({ ...moving, owner: null, fetchersOnline: 0 }), { state: 'failed', reason: 'no node: no fetcher node is online', reasonCode: 'state.noFetcherNode' })
  assert.deepEqual(actualState({ ...moving, health: retrying('stream load dw.t: Fail: too many versions') }), {
    state: 'retrying', reason: 'stream load dw.t: Fail: too many versions', reasonCode: 'load.retrying', reasonParams: { error: 'stream load dw.t: Fail: too many versions' },
  })
  // Kafka that cannot be reached: retrying, with the fetcher's reason and its code for the console.
  assert.deepEqual(actualState({ ...moving, fetcher: unreachable }), { state: 'retrying', reason: unreachable.reason, reasonCode: 'kafka.unreachable', reasonParams: unreachable.params })
  assert.equal(actualState({ ...moving, fetcher: unreachable, health: retrying('x') }).reasonCode, 'kafka.unreachable')
})

test('behind with no progress past stallAfterMs is stalled, with the cause it knows', () => {
  assert.deepEqual(brief(stuck({ health: retrying('stream load dw.t: ECONNREFUSED') })), { state: 'stalled', reason: 'retrying: stream load dw.t: ECONNREFUSED', reasonCode: 'stall.retrying' })
  assert.equal(stuck({ fetcher: unreachable }).reason, `retrying: ${unreachable.reason}`)
  assert.deepEqual(brief(stuck({ owner: null, fetchersOnline: 0 })), { state: 'stalled', reason: 'no node: no fetcher node is online (12 messages behind)', reasonCode: 'stall.noFetcherNode' })
  assert.match(stuck({ owner: null, fetchersOnline: 2 }).reason, /^no node: none of the 2 online fetcher nodes took it/)
  assert.equal(stuck({ batchInFlight: true, loadersOnline: 0 }).reason, 'paused: a batch waits for a loader and no loader node is online')
  assert.deepEqual(stuck({ batchInFlight: true, queue: { waiting: 7, active: 4 } }).reasonParams, { waiting: 7, active: 4 })
  assert.deepEqual(actualState({ ...moving, lagMessages: 12, noProgressMs: 61_000 }), { state: 'stalled', reason: 'no progress for 61s while 12 messages behind', reasonCode: 'stall.noProgress', reasonParams: { seconds: 61, behind: 12 } })
})

test('never stalled when caught up, stopped, below the threshold or with the lag unknown', () => {
  assert.equal(stuck({ lagMessages: 0 }).state, 'running')
  assert.equal(stuck({ lagMessages: 0, health: retrying('x') }).state, 'retrying')
  assert.equal(stuck({ desired: 'stopped' }).state, 'stopped')
  assert.equal(stuck({ noProgressMs: 59_999 }).state, 'running')
  assert.equal(stuck({ lagMessages: null, owner: null }).state, 'starting')
  assert.equal(stuck({ lagMessages: null, fetcher: unreachable }).state, 'retrying')
})
