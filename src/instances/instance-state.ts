import type { DesiredState } from './instance-store.ts'
import type { Health } from './instance-activity.ts'
import type { FetcherReport } from './fetcher-report.ts'

/**
 * What an instance is really doing, as the console shows it: derived from what the operator asked
 * (desired), who holds its lease (the node running its fetcher), what that fetcher reports, the
 * loader's last failure, and whether it moves. The seed's console said "running" for dead
 * consumers; this never does: `running` needs a fetcher whose consumer joined its group and keeps
 * fetching, on the node that holds the lease, and no loader failing.
 *
 * A cause that lasts gives a state that lasts: a fetcher that cannot reach Kafka keeps its lease
 * and reports `retrying`, so the state does not hop between nodes and states while it waits.
 * Stalled means behind and no offset committed for `stallAfterMs`, whatever the cause; the reason
 * names the cause when it is known. Never for an instance that is caught up or stopped.
 */
export type ActualState = 'stopped' | 'starting' | 'running' | 'retrying' | 'failed' | 'stalled'

export type StateInputs = {
  desired: DesiredState
  owner: string | null
  /** The last report of the instance's fetcher, whichever node wrote it. */
  fetcher: FetcherReport | null
  health: Health
  /** Messages behind; null when unknown (Kafka did not answer). */
  lagMessages: number | null
  /** How long it has been behind with no committed offset moving; 0 when caught up. */
  noProgressMs: number
  stallAfterMs: number
  fetchersOnline: number
  loadersOnline: number
  /** A batch of the instance is cut and waits for, or is in, a loader. */
  batchInFlight: boolean
  /** Load jobs of every instance waiting for a loader, and being loaded. */
  queue: { waiting: number; active: number }
}

/** A reason in English, with the stable code and parameters the console translates. */
export type StateReason = { reason: string; reasonCode: string; reasonParams: Record<string, string | number> }
export type InstanceState = { state: ActualState } & StateReason

const none: StateReason = { reason: '', reasonCode: '', reasonParams: {} }
const because = (reasonCode: string, reasonParams: Record<string, string | number>, reason: string): StateReason => ({ reason, reasonCode, reasonParams })

export function actualState(i: StateInputs): InstanceState {
  if (i.desired === 'stopped') return { state: 'stopped', ...none }
  if (i.lagMessages !== null && i.lagMessages > 0 && i.noProgressMs >= i.stallAfterMs) return { state: 'stalled', ...stallCause(i, i.lagMessages) }
  if (!i.owner) {
    if (i.fetchersOnline === 0) return { state: 'failed', ...because('state.noFetcherNode', {}, 'no node: no fetcher node is online') }
    return { state: 'starting', ...because('state.waitingForNode', {}, 'waiting for a fetcher node to take it') }
  }
  const fetcher = i.fetcher?.node === i.owner ? i.fetcher : null
  if (fetcher?.phase === 'retrying') return { state: 'retrying', ...fetcherReason(fetcher) }
  if (i.health.state === 'retrying') return { state: 'retrying', ...loadReason(i.health) }
  if (fetcher?.phase !== 'fetching') return { state: 'starting', ...because('state.connecting', { node: i.owner }, `${i.owner} is connecting to Kafka and joining the consumer group`) }
  return { state: 'running', ...none }
}

function fetcherReason(f: FetcherReport): StateReason {
  return because(f.code || 'fetcher.retrying', f.code ? f.params : { error: f.reason }, f.reason)
}

function loadReason(h: Health): StateReason {
  return because('load.retrying', { error: h.reason }, h.reason)
}

function stallCause(i: StateInputs, behind: number): StateReason {
  if (!i.owner) {
    return i.fetchersOnline === 0
      ? because('stall.noFetcherNode', { behind }, `no node: no fetcher node is online (${behind} messages behind)`)
      : because('stall.noEligibleNode', { behind, online: i.fetchersOnline }, `no node: none of the ${i.fetchersOnline} online fetcher nodes took it; check pinNode / pinCluster (${behind} messages behind)`)
  }
  const fetcher = i.fetcher?.node === i.owner ? i.fetcher : null
  const retrying = fetcher?.phase === 'retrying' ? fetcherReason(fetcher) : i.health.state === 'retrying' ? loadReason(i.health) : null
  if (retrying) return because('stall.retrying', { error: retrying.reason }, `retrying: ${retrying.reason}`)
  if (i.batchInFlight && i.loadersOnline === 0) return because('stall.noLoader', {}, 'paused: a batch waits for a loader and no loader node is online')
  if (i.batchInFlight) return because('stall.batchLoading', { waiting: i.queue.waiting, active: i.queue.active }, `a batch has not finished loading (${i.queue.waiting} jobs waiting for a loader, ${i.queue.active} loading)`)
  const seconds = Math.round(i.noProgressMs / 1000)
  return because('stall.noProgress', { seconds, behind }, `no progress for ${seconds}s while ${behind} messages behind`)
}
