import type { DesiredState } from './instance-store.ts'
import type { Health } from './instance-activity.ts'

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

export function actualState(i: StateInputs): { state: ActualState; reason: string } {
  if (i.desired === 'stopped') return { state: 'stopped', reason: '' }
  // A fetcher that could not start gave its lease back: failed until a node manages to start it.
  if (!i.owner && i.health.state === 'retrying' && i.health.reason.startsWith('fetcher:')) return { state: 'failed', reason: i.health.reason }
  if (i.lagMessages !== null && i.lagMessages > 0 && i.noProgressMs >= i.stallAfterMs) return { state: 'stalled', reason: stallCause(i, i.lagMessages) }
  if (!i.owner) return { state: 'starting', reason: 'waiting for a fetcher node to take it' }
  if (i.health.state === 'retrying') return { state: 'retrying', reason: i.health.reason }
  return { state: 'running', reason: '' }
}

function stallCause(i: StateInputs, behind: number): string {
  if (!i.owner) {
    return i.fetchersOnline === 0
      ? `no node: no fetcher node is online (${behind} messages behind)`
      : `no node: none of the ${i.fetchersOnline} online fetcher nodes took it; check pinNode / pinCluster (${behind} messages behind)`
  }
  if (i.health.state === 'retrying') return `retrying: ${i.health.reason}`
  if (i.batchInFlight && i.loadersOnline === 0) return 'paused: a batch waits for a loader and no loader node is online'
  if (i.batchInFlight) return `a batch has not finished loading (${i.queue.waiting} jobs waiting for a loader, ${i.queue.active} loading)`
  return `no progress for ${Math.round(i.noProgressMs / 1000)}s while ${behind} messages behind`
}
