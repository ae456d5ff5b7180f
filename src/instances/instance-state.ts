import type { DesiredState } from './instance-store.ts'
import type { Health } from './instance-activity.ts'
import { isMessageCode, say, type Said } from '../messages.ts'
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

/** The state and why (null when there is nothing to say: running or stopped). */
export function actualState(i: StateInputs): { state: ActualState; reason: Said | null } {
  if (i.desired === 'stopped') return { state: 'stopped', reason: null }
  if (i.lagMessages !== null && i.lagMessages > 0 && i.noProgressMs >= i.stallAfterMs) return { state: 'stalled', reason: stallCause(i, i.lagMessages) }
  if (!i.owner) {
    if (i.fetchersOnline === 0) return { state: 'failed', reason: say('state.no_fetcher_node') }
    return { state: 'starting', reason: say('state.waiting_for_fetcher') }
  }
  const retrying = retryCause(i)
  if (retrying) return { state: 'retrying', reason: retrying }
  if (ownFetcher(i)?.phase !== 'fetching') return { state: 'starting', reason: say('state.connecting', { node: i.owner }) }
  return { state: 'running', reason: null }
}

/** Only the lease holder's report is the present; an earlier holder's is history. */
const ownFetcher = (i: StateInputs) => (i.fetcher?.node === i.owner ? i.fetcher : null)

/** Why the fetcher or a loader is retrying, the fetcher first (it is upstream). */
function retryCause(i: StateInputs): Said | null {
  const fetcher = ownFetcher(i)
  if (fetcher?.phase === 'retrying') {
    // A report's code comes from Redis, written by a node that may be older or newer than this admin.
    return isMessageCode(fetcher.code) ? { code: fetcher.code, params: fetcher.params, message: fetcher.reason } : say('state.retrying', { detail: fetcher.reason })
  }
  if (i.health.state === 'retrying') return say('state.retrying', { detail: i.health.reason })
  return null
}

function stallCause(i: StateInputs, behind: number): Said {
  if (!i.owner) {
    return i.fetchersOnline === 0 ? say('state.stalled_no_fetcher', { behind }) : say('state.stalled_not_taken', { online: i.fetchersOnline, behind })
  }
  // Stalled because it keeps failing: the failure is the reason to show.
  const retrying = retryCause(i)
  if (retrying) return retrying
  if (i.batchInFlight && i.loadersOnline === 0) return say('state.stalled_no_loader')
  if (i.batchInFlight) return say('state.stalled_batch_loading', { waiting: i.queue.waiting, active: i.queue.active })
  return say('state.stalled_no_progress', { seconds: Math.round(i.noProgressMs / 1000), behind })
}
