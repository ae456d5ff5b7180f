/**
 * Labels per database and the state of their transactions (§3.4, §3.5): a label of a running or
 * finished load cannot be reused; an aborted one can; finished labels are kept 3 days.
 */

export type TxnState = 'PREPARE' | 'COMMITTED' | 'VISIBLE' | 'ABORTED';
/** What get_load_state reports (§3.5). */
export type LabelState = TxnState | 'UNKNOWN';

export type BeginResult = { ok: true; txnId: number } | { ok: false; existingJobStatus: 'RUNNING' | 'FINISHED' };

interface LabelEntry {
  txnId: number;
  state: TxnState;
  finishedAt: number | null;
  /** Publish Timeout: COMMITTED until this time, VISIBLE after. */
  visibleAt: number | null;
}

/** `label_keep_max_second` default (§3.4). */
const LABEL_KEEP_MS = 259_200_000;

export class LabelRegistry {
  private readonly entries = new Map<string, LabelEntry>();
  /** Labels held RUNNING by the `label-stuck-running` fault, in any database (null) or one. */
  private readonly stuck = new Map<string, string | null>();
  /** Released stuck labels: the transaction that held them ended the way a timed-out one does. */
  private readonly released = new Map<string, string | null>();
  private nextTxnId = 1000;

  constructor(private readonly now: () => number) {}

  begin(db: string, label: string): BeginResult {
    if (this.isStuck(db, label)) return { ok: false, existingJobStatus: 'RUNNING' };
    const state = this.state(db, label);
    if (state === 'PREPARE') return { ok: false, existingJobStatus: 'RUNNING' };
    if (state === 'COMMITTED' || state === 'VISIBLE') return { ok: false, existingJobStatus: 'FINISHED' };
    const txnId = this.nextTxnId++;
    this.entries.set(key(db, label), { txnId, state: 'PREPARE', finishedAt: null, visibleAt: null });
    return { ok: true, txnId };
  }

  /** `visibleAfterMs` > 0 models a Publish Timeout: COMMITTED first, VISIBLE later (§3.2). */
  commit(db: string, label: string, visibleAfterMs = 0): void {
    this.finish(db, label, visibleAfterMs > 0 ? 'COMMITTED' : 'VISIBLE', visibleAfterMs);
  }

  abort(db: string, label: string): void {
    this.finish(db, label, 'ABORTED', 0);
  }

  state(db: string, label: string): LabelState {
    if (this.isStuck(db, label)) return 'PREPARE';
    const k = key(db, label);
    const entry = this.entries.get(k);
    if (!entry) return this.wasReleased(db, label) ? 'ABORTED' : 'UNKNOWN';
    const now = this.now();
    if (entry.finishedAt !== null && now - entry.finishedAt > LABEL_KEEP_MS) {
      this.entries.delete(k);
      return 'UNKNOWN';
    }
    if (entry.state === 'COMMITTED' && entry.visibleAt !== null && now >= entry.visibleAt) entry.state = 'VISIBLE';
    return entry.state;
  }

  stick(label: string, db: string | null): void {
    this.stuck.set(label, db);
  }

  release(label: string): void {
    if (this.stuck.has(label)) this.released.set(label, this.stuck.get(label)!);
    this.stuck.delete(label);
  }

  releaseAll(): void {
    for (const label of [...this.stuck.keys()]) this.release(label);
  }

  private wasReleased(db: string, label: string): boolean {
    if (!this.released.has(label)) return false;
    const scope = this.released.get(label);
    return scope === null || scope === db;
  }

  private isStuck(db: string, label: string): boolean {
    if (!this.stuck.has(label)) return false;
    const scope = this.stuck.get(label);
    return scope === null || scope === db;
  }

  private finish(db: string, label: string, state: TxnState, visibleAfterMs: number): void {
    const entry = this.entries.get(key(db, label));
    if (!entry) return;
    const now = this.now();
    entry.state = state;
    entry.finishedAt = now;
    entry.visibleAt = state === 'COMMITTED' ? now + visibleAfterMs : null;
  }
}

function key(db: string, label: string): string {
  return `${db}\u0000${label}`;
}
