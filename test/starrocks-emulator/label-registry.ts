/**
 * The FE's transactions by label, per database (§3.4, §3.5, §5.4): a label of a running or finished
 * load cannot be reused, an aborted one can; finished labels are kept 3 days. Stream Load and the
 * Transaction Stream Load API share it, so a label is unique per database across load types.
 */

export type TxnState = 'PREPARE' | 'PREPARED' | 'COMMITTED' | 'VISIBLE' | 'ABORTED';
/** What get_load_state reports (§3.5). */
export type LabelState = TxnState | 'UNKNOWN';

export interface Prepared {
  table: string;
  publish: () => void;
}

export type BeginResult = { ok: true; txnId: number } | { ok: false; existingJobStatus: 'RUNNING' | 'FINISHED' };

interface LabelEntry {
  txnId: number;
  state: TxnState;
  finishedAt: number | null;
  /** Publish Timeout: COMMITTED until this time, VISIBLE after. */
  visibleAt: number | null;
  /** PREPARE (begin `timeout`) or PREPARED (`prepared_timeout`) ends in ABORTED at this time (§5.4). */
  abortAt: number | null;
  /** A PREPARED transaction: its table and the data the commit makes visible (§5.2). */
  prepared: Prepared | null;
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

  /** `timeoutMs` bounds PREPARE (Transaction Stream Load); a plain Stream Load ends within its request. */
  begin(db: string, label: string, timeoutMs: number | null = null): BeginResult {
    if (this.isStuck(db, label)) return { ok: false, existingJobStatus: 'RUNNING' };
    const state = this.state(db, label);
    if (state === 'PREPARE' || state === 'PREPARED') return { ok: false, existingJobStatus: 'RUNNING' };
    if (state === 'COMMITTED' || state === 'VISIBLE') return { ok: false, existingJobStatus: 'FINISHED' };
    const txnId = this.nextTxnId++;
    const abortAt = timeoutMs === null ? null : this.now() + timeoutMs;
    this.entries.set(key(db, label), { txnId, state: 'PREPARE', finishedAt: null, visibleAt: null, abortAt, prepared: null });
    return { ok: true, txnId };
  }

  /** PREPARE → PREPARED; the FE's commit publishes the data later (§5.4). */
  prepare(db: string, label: string, prepared: Prepared, preparedTimeoutMs: number): void {
    const entry = this.live(db, label);
    if (!entry) return;
    entry.state = 'PREPARED';
    entry.abortAt = this.now() + preparedTimeoutMs;
    entry.prepared = prepared;
  }

  /** The table of a PREPARED transaction, or null. */
  preparedTable(db: string, label: string): string | null {
    return this.live(db, label)?.prepared?.table ?? null;
  }

  /**
   * PREPARE or PREPARED → COMMITTED/VISIBLE. `visibleAfterMs` > 0 models a Publish Timeout:
   * COMMITTED first, VISIBLE later (§3.2).
   */
  commit(db: string, label: string, visibleAfterMs = 0): void {
    this.live(db, label)?.prepared?.publish();
    this.finish(db, label, visibleAfterMs > 0 ? 'COMMITTED' : 'VISIBLE', visibleAfterMs);
  }

  abort(db: string, label: string): void {
    this.finish(db, label, 'ABORTED', 0);
  }

  state(db: string, label: string): LabelState {
    if (this.isStuck(db, label)) return 'PREPARE';
    return this.lookup(db, label)?.state ?? (this.wasReleased(db, label) ? 'ABORTED' : 'UNKNOWN');
  }

  /** The transaction id behind a label, or null when the label is unknown (§5.2 messages). */
  txnId(db: string, label: string): number | null {
    return this.lookup(db, label)?.txnId ?? null;
  }

  /** The id the next transaction gets: the watershed a schema change records. */
  peekNextTxnId(): number {
    return this.nextTxnId;
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

  /** The entry with its time-driven transitions applied: expiry, visibility, timeouts. */
  private lookup(db: string, label: string): LabelEntry | undefined {
    const k = key(db, label);
    const entry = this.entries.get(k);
    if (!entry) return undefined;
    const now = this.now();
    if (entry.abortAt !== null && now >= entry.abortAt) {
      // The FE's txn checker aborts PREPARE/PREPARED transactions past their timeout.
      entry.state = 'ABORTED';
      entry.finishedAt = entry.abortAt;
      entry.abortAt = null;
      entry.prepared = null;
    }
    if (entry.finishedAt !== null && now - entry.finishedAt > LABEL_KEEP_MS) {
      this.entries.delete(k);
      return undefined;
    }
    if (entry.state === 'COMMITTED' && entry.visibleAt !== null && now >= entry.visibleAt) entry.state = 'VISIBLE';
    return entry;
  }

  /** The entry while its transaction is still PREPARE or PREPARED. */
  private live(db: string, label: string): LabelEntry | undefined {
    const entry = this.lookup(db, label);
    return entry?.state === 'PREPARE' || entry?.state === 'PREPARED' ? entry : undefined;
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
    const entry = this.live(db, label);
    if (!entry) return;
    const now = this.now();
    entry.state = state;
    entry.finishedAt = now;
    entry.visibleAt = state === 'COMMITTED' ? now + visibleAfterMs : null;
    entry.abortAt = null;
    entry.prepared = null;
  }
}

function key(db: string, label: string): string {
  return `${db}\u0000${label}`;
}
