/**
 * Fault switches tests flip to reproduce what a real cluster does under stress (§3.2, §4.4, §4.5,
 * §8.4, §9.6). Each scoped fault can be limited to a number of loads (`times`) and to a db/table.
 * Transaction Stream Load (§5) meets too-many-versions, memory-limit and reset at a BE prepare or
 * commit, and publish-timeout at a BE commit or at the FE's commit of a PREPARED transaction.
 */
import { z } from 'zod';

const scope = {
  /** How many loads the fault shapes before it is spent; unlimited when absent. */
  times: z.number().int().positive().optional(),
  db: z.string().optional(),
  table: z.string().optional(),
};

export const faultSchema = z.discriminatedUnion('kind', [
  /** Load applied, `Status: Publish Timeout`; label COMMITTED for `visibleAfterMs`, then VISIBLE. */
  z.strictObject({ kind: z.literal('publish-timeout'), visibleAfterMs: z.number().int().nonnegative().optional(), ...scope }),
  /** `Fail` with the 3.x too-many-versions message (§4.4); nothing applied. */
  z.strictObject({ kind: z.literal('too-many-versions'), ...scope }),
  /** `Fail` with a load-channel memory-limit message (§4.5); nothing applied. */
  z.strictObject({ kind: z.literal('memory-limit'), ...scope }),
  /** FE answers `No backend alive.` (§1.1). */
  z.strictObject({ kind: z.literal('no-backend'), ...scope }),
  /**
   * Delays the reply by `ms`: at the FE (before the 307) or the BE. At the BE, `applied` (default
   * true) commits before the delay; false keeps the label RUNNING, then aborts with `Fail`.
   */
  z.strictObject({
    kind: z.literal('slow'),
    ms: z.number().int().nonnegative(),
    at: z.enum(['fe', 'be']).optional(),
    applied: z.boolean().optional(),
    ...scope,
  }),
  /** The BE destroys the connection without a reply, after committing (`applied`) or not. */
  z.strictObject({ kind: z.literal('reset'), applied: z.boolean(), ...scope }),
  /** The label answers `Label Already Exists`/RUNNING and get_load_state PREPARE until released. */
  z.strictObject({ kind: z.literal('label-stuck-running'), label: z.string().min(1), db: z.string().optional() }),
  /** FE, BE and MySQL ports refuse connections for `ms` (or until `clear()`), then listen again. */
  z.strictObject({ kind: z.literal('down'), ms: z.number().int().positive().optional() }),
]);

export type Fault = z.infer<typeof faultSchema>;
export type ScopedFault = Exclude<Fault, { kind: 'label-stuck-running' | 'down' }>;
export type ScopedKind = ScopedFault['kind'];

interface Armed {
  fault: ScopedFault;
  remaining: number;
}

export class FaultBoard {
  private armed: Armed[] = [];

  add(fault: ScopedFault): void {
    this.armed.push({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** The earliest armed fault of one of `kinds` that matches the load, spending one use. */
  take(kinds: readonly ScopedKind[], target: { db: string; table: string }, accept: (f: ScopedFault) => boolean = () => true): ScopedFault | undefined {
    const found = this.armed.find(
      ({ fault }) =>
        kinds.includes(fault.kind) &&
        (fault.db === undefined || fault.db === target.db) &&
        (fault.table === undefined || fault.table === target.table) &&
        accept(fault),
    );
    if (!found) return undefined;
    if (--found.remaining <= 0) this.armed = this.armed.filter((a) => a !== found);
    return found.fault;
  }

  clear(): void {
    this.armed = [];
  }
}

/** §4.4, 3.x wording including the `,:  be:<host>` tail real replies carry. */
export function tooManyVersionsMessage(tabletId: number, host: string): string {
  return (
    `Failed to load data into tablet ${tabletId}, because of too many versions, current/limit: 1001/1000. ` +
    'You can reduce the loading job concurrency, or increase loading data batch size. If you are loading data with ' +
    'Routine Load, you can increase FE configs routine_load_task_consume_second and max_routine_load_batch_size,' +
    `:  be:${host}`
  );
}

/** §4.5 load-channel wording. */
export const MEMORY_LIMIT_MESSAGE =
  'memory limit exceeded, please reduce load frequency or increase config load_process_max_memory_limit_percent or add more BE nodes';

/** §3.2: the fixed prefix, then debug text ([unconfirmed] exact tail). */
export function publishTimeoutMessage(txnId: number): string {
  return `Publish timeout. The data will be visible after a while, txn_id: ${txnId}`;
}
