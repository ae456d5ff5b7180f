import type { DesiredState } from './instance-store.ts'
import type { Health } from './instance-activity.ts'

/**
 * What an instance is really doing, as the console shows it: derived from what the operator asked
 * (desired), who holds its lease (the node running its fetcher) and the loader's last failure.
 * The seed's console said "running" for dead consumers; this never does.
 */
export type ActualState = 'stopped' | 'starting' | 'running' | 'retrying' | 'failed'

export function actualState(desired: DesiredState, owner: string | null, health: Health): { state: ActualState; reason: string } {
  if (desired === 'stopped') return { state: 'stopped', reason: '' }
  // A fetcher that could not start gave its lease back: failed until a node manages to start it.
  if (!owner && health.state === 'retrying' && health.reason.startsWith('fetcher:')) return { state: 'failed', reason: health.reason }
  if (!owner) return { state: 'starting', reason: 'waiting for a fetcher node to take it' }
  if (health.state === 'retrying') return { state: 'retrying', reason: health.reason }
  return { state: 'running', reason: '' }
}
