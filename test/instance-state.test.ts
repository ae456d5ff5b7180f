import assert from 'node:assert/strict'
import { test } from 'node:test'
import { actualState } from '../src/instance-state.ts'

const ok = { state: 'ok' as const, reason: '', since: '', attempts: 0 }
const retrying = (reason: string) => ({ state: 'retrying' as const, reason, since: '2026-01-01T00:00:00Z', attempts: 3 })

test('the state an operator sees follows desired state, lease holder and the last failure', () => {
  assert.deepEqual(actualState('stopped', null, ok), { state: 'stopped', reason: '' })
  assert.deepEqual(actualState('stopped', 'node-a', retrying('x')), { state: 'stopped', reason: '' })
  assert.deepEqual(actualState('running', null, ok), { state: 'starting', reason: 'waiting for a fetcher node to take it' })
  assert.deepEqual(actualState('running', 'node-a', ok), { state: 'running', reason: '' })
  assert.deepEqual(actualState('running', 'node-a', retrying('stream load dw.t: Fail: too many versions')), { state: 'retrying', reason: 'stream load dw.t: Fail: too many versions' })
  assert.deepEqual(actualState('running', null, retrying('fetcher: connection refused')), { state: 'failed', reason: 'fetcher: connection refused' })
})
