/**
 * The FE side of the Transaction Stream Load API, `POST|PUT /api/transaction/{op}` (§5.1, §5.2,
 * 3.x `TransactionLoadAction`): authentication, the `db`/`label` headers, commit and rollback of
 * PREPARED or finished labels on the FE itself, and a 307 to the BE that began the label for the
 * rest. The body of a `load` is never read here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeContext } from './fe-http.ts';
import { AUTH_CHALLENGE, feAuthFailure } from './http-auth.ts';
import { redirect, restResult, send } from './http-reply.ts';
import { header } from './load-options.ts';
import { feTxnFailed, feTxnOk } from './txn-reply.ts';

const OPS = new Set(['begin', 'load', 'prepare', 'commit', 'rollback']);
/** FE's commit of a PREPARED transaction waits this long for the publish by default (§5.1). */
const DEFAULT_COMMIT_TIMEOUT_SECONDS = '20';
/** The label → BE map is an LRU of 512 entries per backend; the emulator has one BE (§5.2). */
const NODE_MAP_SIZE = 512;

export class FeTransactions {
  /** Labels begun through this FE, least recently used first (a Map keeps insertion order). */
  private readonly nodes = new Map<string, string>();

  constructor(private readonly ctx: FeContext) {}

  handle(req: IncomingMessage, res: ServerResponse, op: string): void {
    const denied = feAuthFailure(this.ctx.users, req);
    if (denied) return send(res, 401, restResult(false, denied), AUTH_CHALLENGE, true);
    const reply = (body: string) => send(res, 200, body, {}, true);
    const txnOp = op.toLowerCase();
    // Newer FEs check the op first; 3.0–3.2 would look for a node of the unknown op.
    if (!OPS.has(txnOp)) return reply(feTxnFailed(`Unknown transaction operation: ${op}`));
    const db = header(req.headers, 'db') ?? '';
    const label = header(req.headers, 'label') ?? '';
    // The SDK's support probe (a label-less begin) is answered here, with JSON (§5.5).
    if (db.trim() === '') return reply(feTxnFailed('No database selected.'));
    if (label.trim() === '') return reply(feTxnFailed('empty label.'));
    if (txnOp === 'commit' || txnOp === 'rollback') {
      const resolved = this.resolveOnFe(req, txnOp, db, label);
      if (resolved !== null) return reply(resolved);
    }
    const node = txnOp === 'begin' ? this.remember(label) : this.nodeOf(label);
    if (node === undefined) return reply(feTxnFailed(`transaction with op ${op} label ${label} has no node`));
    redirect(res, `${node}${req.url}`);
  }

  /**
   * §5.2 step 3: commit/rollback of a label that is PREPARED, COMMITTED/VISIBLE or ABORTED is
   * answered by the FE; null falls through to the BE (still PREPARE, or unknown).
   */
  private resolveOnFe(req: IncomingMessage, op: 'commit' | 'rollback', db: string, label: string): string | null {
    if (!this.ctx.catalog.hasDatabase(db)) return feTxnFailed(`database ${db} not exists`);
    const { labels } = this.ctx;
    const state = labels.state(db, label);
    const txnId = labels.txnId(db, label) ?? -1;
    switch (state) {
      case 'PREPARED':
        if (op === 'rollback') {
          labels.abort(db, label); // reason `User Aborted`
          return feTxnOk('', label);
        }
        return this.commitPrepared(req, db, label);
      case 'COMMITTED':
      case 'VISIBLE':
        if (op === 'rollback') return feTxnFailed(`cannot abort committed transaction ${txnId}, label ${label} `);
        return feTxnOk(`label ${label} transaction ${txnId} has already committed`, label);
      case 'ABORTED':
        if (op === 'commit') return feTxnFailed(`cannot commit aborted transaction ${txnId}, label ${label} `);
        return feTxnOk(`label ${label} transaction ${txnId} has already aborted`, label);
      default:
        return null;
    }
  }

  /**
   * `commitPreparedTransaction`: publishes, waiting at most `timeout` seconds; a publish that
   * takes longer still answers OK and the label stays COMMITTED for a while.
   */
  private commitPrepared(req: IncomingMessage, db: string, label: string): string {
    const timeout = header(req.headers, 'timeout') ?? DEFAULT_COMMIT_TIMEOUT_SECONDS;
    if (!/^[+-]?\d+$/.test(timeout)) return feTxnFailed(`For input string: "${timeout}"`, 'java.lang.NumberFormatException');
    const table = this.ctx.labels.preparedTable(db, label) ?? '';
    const fault = this.ctx.faults.take(['publish-timeout'], { db, table });
    this.ctx.labels.commit(db, label, fault?.kind === 'publish-timeout' ? (fault.visibleAfterMs ?? 0) : 0);
    return feTxnOk('', label);
  }

  /** begin: round robin over the alive BEs (one here), remembered for the label's later ops. */
  private remember(label: string): string {
    const node = this.ctx.beUrl();
    this.nodes.delete(label);
    this.nodes.set(label, node);
    if (this.nodes.size > NODE_MAP_SIZE) this.nodes.delete(this.nodes.keys().next().value!);
    return node;
  }

  private nodeOf(label: string): string | undefined {
    const node = this.nodes.get(label);
    if (node === undefined) return undefined;
    // Access order, like the FE's LinkedHashMap.
    this.nodes.delete(label);
    this.nodes.set(label, node);
    return node;
  }
}
