import type { DesiredState } from './instance-store.ts'
import type { Health } from './instance-activity.ts'
import { say, type Said } from '../messages.ts'

/**
 * What an instance is really doing, as the console shows it: derived from what the operator asked
 * (desired), who holds its lease (the node running its fetcher), the loader's last failure, and
 * whether it moves. The seed's console said "running" for dead consumers; this never does.
 *
 * Stalled means behind and no offset committed for `stallAfterMs`, whatever the cause; the reason
 * names the cause when it is known. Never for an instance that is caught up or stopped.
 */
export type ActualState = 'stopped' | 'starting' | 'running' | 'retrying' | 'failed' | 'stalled'

export type StateInputs = {
  desired: DesiredState
  owner: string | null
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
  // A fetcher that could not start gave its lease back: failed until a node manages to start it.
  if (!i.owner && i.health.state === 'retrying' && i.health.reason.startsWith('fetcher:')) return { state: 'failed', reason: say('state.fetcher_failed', { detail: i.health.reason }) }
  if (i.lagMessages !== null && i.lagMessages > 0 && i.noProgressMs >= i.stallAfterMs) return { state: 'stalled', reason: stallCause(i, i.lagMessages) }
  if (!i.owner) return { state: 'starting', reason: say('state.waiting_for_fetcher') }
  if (i.health.state === 'retrying') return { state: 'retrying', reason: say('state.retrying', { detail: i.health.reason }) }
  return { state: 'running', reason: null }
}

function stallCause(i: StateInputs, behind: number): Said {
  if (!i.owner) {
    return i.fetchersOnline === 0 ? say('state.stalled_no_fetcher', { behind }) : say('state.stalled_not_taken', { online: i.fetchersOnline, behind })
  }
  if (i.health.state === 'retrying') return say('state.stalled_retrying', { detail: i.health.reason })
  if (i.batchInFlight && i.loadersOnline === 0) return say('state.stalled_no_loader')
  if (i.batchInFlight) return say('state.stalled_batch_loading', { waiting: i.queue.waiting, active: i.queue.active })
  return say('state.stalled_no_progress', { seconds: Math.round(i.noProgressMs / 1000), behind })
}
