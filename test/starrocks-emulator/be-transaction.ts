/**
 * The BE side of Transaction Stream Load (§5.3, §5.4; BE `TransactionMgr`,
 * `TransactionStreamLoadAction`): one context per label on this BE from begin until prepare,
 * commit or rollback; `load` appends data, `prepare`/`commit` check it and end the context.
 * Replies carry Thrift status names (txn-reply.ts). Rows become visible only at commit.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BeContext } from './be-http.ts';
import { MEMORY_LIMIT_MESSAGE, publishTimeoutMessage, tooManyVersionsMessage, type ScopedFault } from './faults.ts';
import { loadTxnBegin } from './fe-service.ts';
import { clientIp, parseBasicAuth } from './http-auth.ts';
import { send } from './http-reply.ts';
import { prepareLoad, readLoadData, type LoadData, type PreparedLoad } from './load-executor.ts';
import { checkBodySize, checkFormat, checkLoadHeaders, header } from './load-options.ts';
import type { BodyReader } from './request-body.ts';
import { freshReplyContext, OK_STATUS, renderTxnReply, type ReplyContext, type ReplyOp, type TxnStatus, type TxnStatusCode } from './txn-reply.ts';

interface TxnContext {
  /** The load id, as `brief()` prints it. */
  id: string;
  db: string;
  table: string;
  label: string;
  txnId: number;
  /** `ctx->status`: not OK once the transaction failed but its context stayed. */
  status: TxnStatus;
  /** False once the FE committed: a failed rollback keeps the context (§5.3). */
  needRollback: boolean;
  /** `ctx->lock`, held while a load request streams its body. */
  busy: boolean;
  timeoutSeconds: number;
  idleTimeoutSeconds: number;
  beganAt: number;
  lastActiveAt: number;
  started: number;
  /** Content-Length bytes announced by all loads (`body_bytes`), against the body limits. */
  announcedBytes: number;
  /** The first load's request: later loads must send the same parameters. */
  plan: { load: PreparedLoad; key: string; maxFilterRatio: number } | null;
  data: LoadData | null;
  totalBytes: number;
  errorUrl: string | null;
}

/** FE `stream_load_default_timeout_second` (§5.1 begin `timeout`). */
const DEFAULT_TIMEOUT_SECONDS = 600;
/** FE `prepared_transaction_default_timeout_second` (§5.4). */
const DEFAULT_PREPARED_TIMEOUT_SECONDS = 86400;
/** The BE's transaction cleaner runs every 30 s; idle timeouts are checked against it (§5.3). */
const CLEAN_INTERVAL_SECONDS = 30;
const MAX_ERROR_LINES = 50;
/** Fault switches at the write (prepare and commit) and at the publish (commit only). */
const PREPARE_FAULTS = ['too-many-versions', 'memory-limit', 'reset'] as const;
const COMMIT_FAULTS = [...PREPARE_FAULTS, 'publish-timeout'] as const;

type Reply = (op: ReplyOp, st: TxnStatus, c?: ReplyContext) => void;

const status = (code: TxnStatusCode, message: string): TxnStatus => ({ code, message });

export class BeTransactions {
  private readonly contexts = new Map<string, TxnContext>();

  constructor(
    private readonly ctx: BeContext,
    private readonly bodies: BodyReader,
  ) {}

  /** `PUT /api/transaction/load` streams data; POST or PUT on any other op manages the transaction. */
  async handle(req: IncomingMessage, res: ServerResponse, op: string, expectContinue: boolean): Promise<void> {
    if (req.method === 'PUT' && op === 'load') return this.load(req, res, expectContinue);
    if (req.method !== 'POST' && req.method !== 'PUT') return send(res, 404, 'Not Found', { 'Content-Type': 'text/plain' }, true);
    const label = header(req.headers, 'label') ?? '';
    // Closes the connection: a body the client may still send is never read.
    const reply = (replyOp: ReplyOp, st: TxnStatus, c: ReplyContext = freshReplyContext(label)) =>
      send(res, 200, renderTxnReply(replyOp, st, c), {}, true);
    // Errors carry no op-specific keys, so the op named in their replies does not matter.
    if (label === '') return reply('commit', status('INVALID_ARGUMENT', 'empty label'));
    switch (op.toLowerCase()) {
      case 'begin':
        return this.begin(req, label, reply);
      case 'prepare':
      case 'commit':
        return this.commit(req, label, op.toLowerCase() === 'prepare', reply);
      case 'rollback':
        return this.rollback(req, label, reply);
      default:
        return reply('commit', status('INVALID_ARGUMENT', `unsupport transaction operation ${op}`));
    }
  }

  private begin(req: IncomingMessage, label: string, reply: Reply): void {
    if (this.context(label)) return reply('begin', status('LABEL_ALREADY_EXISTS', ''));
    const timeout = unsignedHeader(req, 'timeout');
    const idleTimeout = unsignedHeader(req, 'idle_transaction_timeout');
    if (timeout === 'invalid' || idleTimeout === 'invalid') return reply('begin', status('INVALID_ARGUMENT', 'Invalid timeout format'));
    const credentials = parseBasicAuth(req.headers.authorization);
    if (!credentials) return reply('begin', status('INTERNAL_ERROR', 'no valid Basic authorization'));
    const timeoutSeconds = timeout || DEFAULT_TIMEOUT_SECONDS;
    const db = header(req.headers, 'db') ?? '';
    const table = header(req.headers, 'table') ?? '';
    const begun = loadTxnBegin(this.ctx, { credentials, clientIp: clientIp(req), db, table, label, timeoutMs: timeoutSeconds * 1000 });
    if (!begun.ok && begun.kind === 'analysis') return reply('begin', status('ANALYSIS_ERROR', begun.message));
    if (!begun.ok) {
      const { existingJobStatus } = begun;
      return reply('begin', status('LABEL_ALREADY_EXISTS', begun.message), { ...freshReplyContext(label), existingJobStatus });
    }
    const now = this.ctx.now();
    const c: TxnContext = {
      id: `${randomBytes(8).toString('hex')}-${randomBytes(8).toString('hex')}`,
      db,
      table,
      label,
      txnId: begun.txnId,
      status: OK_STATUS,
      needRollback: true,
      busy: false,
      timeoutSeconds,
      idleTimeoutSeconds: idleTimeout ?? -1,
      beganAt: now,
      lastActiveAt: now,
      started: performance.now(),
      announcedBytes: 0,
      plan: null,
      data: null,
      totalBytes: 0,
      errorUrl: null,
    };
    this.contexts.set(label, c);
    reply('begin', OK_STATUS, replyContext(c));
  }

  /** `TransactionStreamLoadAction`: header checks answer before the body is requested (§1.3). */
  private async load(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    const label = header(req.headers, 'label') ?? '';
    const reject = (st: TxnStatus, c: ReplyContext = freshReplyContext(label)) => send(res, 200, renderTxnReply('load', st, c), {}, true);
    if (label === '') return reject(status('INVALID_ARGUMENT', `Invalid label ${label}`));
    const c = this.context(label);
    if (!c) return reject(status('TXN_NOT_EXISTS', `Transaction with label ${label} not exists`));
    const db = header(req.headers, 'db') ?? '';
    if (db !== c.db) return reject(status('INVALID_ARGUMENT', `Request database ${db} not equal transaction database ${c.db}`));
    const table = header(req.headers, 'table') ?? '';
    if (table !== c.table) return reject(status('INVALID_ARGUMENT', `Request table ${table} not equal transaction table ${c.table}`));
    if (c.busy) return reject(status('TXN_IN_PROCESSING', 'Transaction in processing, please retry later'));
    c.busy = true;
    c.lastActiveAt = this.ctx.now();
    const st = this.onHeader(req, c);
    if (st.code !== 'OK') {
      c.status = st;
      if (c.needRollback) this.rollbackContext(c);
      c.busy = false;
      return reject(st, replyContext(c));
    }

    if (expectContinue) res.writeContinue();
    const body = await this.bodies.read(req);
    c.busy = false;
    // A body cut short never reaches the load's handler; the client gets no answer.
    if (typeof body === 'string') return void req.socket.destroy();
    const data = readLoadData(c.plan!.load, body, new Date(this.ctx.now()));
    c.data = c.data ? append(c.data, data) : data;
    c.totalBytes += body.length;
    c.lastActiveAt = this.ctx.now();
    send(res, 200, renderTxnReply('load', OK_STATUS, { ...replyContext(c), requestBytes: body.length }));
  }

  /** `_on_header`: aborted context, body limits, format, then the plan of the first load. */
  private onHeader(req: IncomingMessage, c: TxnContext): TxnStatus {
    if (c.status.code !== 'OK') return status('ABORTED', 'current transaction is aborted');
    const format = checkFormat(req.headers);
    const length = header(req.headers, 'content-length');
    if (length !== undefined) {
      c.announcedBytes += Number(length);
      const size = checkBodySize(c.announcedBytes, format.ok ? format.value : 'csv', req.headers, brief(c));
      if (!size.ok) return status('INTERNAL_ERROR', size.message);
    }
    if (!format.ok) return status('INTERNAL_ERROR', format.message);
    const options = checkLoadHeaders(req.headers, { format: format.value, timeoutSeconds: c.timeoutSeconds });
    if (!options.ok) return status('INVALID_ARGUMENT', options.message);
    // Every load of a transaction must carry the first one's parameters (max_filter_ratio aside).
    const { maxFilterRatio, ...parameters } = options.value;
    const key = JSON.stringify(parameters);
    if (c.plan) return c.plan.key === key ? OK_STATUS : status('INTERNAL_ERROR', 'load request not equal last.');
    const table = this.ctx.catalog.table(c.db, c.table);
    if (!table) return status('ANALYSIS_ERROR', `unknown table "${c.db}.${c.table}"`);
    const load = prepareLoad(table.schema, options.value);
    if ('error' in load) return status('ANALYSIS_ERROR', load.error);
    c.plan = { load, key, maxFilterRatio };
    return OK_STATUS;
  }

  /** `commit_transaction` for both prepare and commit (§5.3, §5.4). */
  private commit(req: IncomingMessage, label: string, prepare: boolean, reply: Reply): void {
    const c = this.context(label);
    if (!c) return reply('commit', status('TXN_NOT_EXISTS', `transaction with label ${label} not exists`));
    const db = header(req.headers, 'db') ?? '';
    if (db !== c.db) return reply('commit', status('INVALID_ARGUMENT', `request db ${db} transaction db ${c.db} not match`));
    // §5.1: `prepared_timeout` (3.5.4+) bounds PREPARED → COMMITTED.
    const preparedTimeout = prepare ? header(req.headers, 'prepared_timeout') : undefined;
    if (preparedTimeout !== undefined && preparedTimeout !== '' && !(/^\d+$/.test(preparedTimeout) && Number(preparedTimeout) > 0)) {
      return reply('commit', status('INVALID_ARGUMENT', `Invalid prepared_timeout: ${preparedTimeout}`));
    }
    if (c.busy) return reply('commit', status('TXN_IN_PROCESSING', 'Transaction in processing, please retry later'));
    const fault = this.ctx.faults.take(prepare ? PREPARE_FAULTS : COMMIT_FAULTS, { db: c.db, table: c.table });
    // `reset`: the connection drops without a reply, before or after the work is done.
    if (fault?.kind === 'reset' && !fault.applied) return void req.socket.destroy();
    const st = this.finish(c, prepare, Number(preparedTimeout || DEFAULT_PREPARED_TIMEOUT_SECONDS), fault);
    if (st.code !== 'OK') {
      c.status = st;
      if (c.needRollback) this.rollbackContext(c);
    }
    if (fault?.kind === 'reset') return void req.socket.destroy();
    reply('commit', st, replyContext(c));
  }

  /** `_commit_transaction`: the data's outcome, then the FE's prepare or commit. */
  private finish(c: TxnContext, prepare: boolean, preparedTimeoutSeconds: number, fault: ScopedFault | undefined): TxnStatus {
    if (c.status.code !== 'OK') return status('ABORTED', 'transaction is aborted');
    const data = c.data;
    if (!data || !c.plan) return status('INTERNAL_ERROR', `transaction ${brief(c)} hasn't send any data yet`);
    if (data.errorLines.length > 0) c.errorUrl = `${this.ctx.beUrl()}/api/_load_error_log?file=${this.ctx.errorLogs.write(data.errorLines)}`;
    // §4.3: the ratio over the whole transaction; 0 valid rows + ≥1 filtered fails here.
    if (data.filteredRows / data.totalRows > c.plan.maxFilterRatio) return status('INTERNAL_ERROR', 'too many filtered rows');
    const table = this.ctx.catalog.table(c.db, c.table);
    if (!table) return status('ANALYSIS_ERROR', `unknown table "${c.db}.${c.table}"`);
    // Write-time failures of the tablets surface here ([unconfirmed] Thrift code).
    if (fault?.kind === 'too-many-versions') return status('INTERNAL_ERROR', tooManyVersionsMessage(table.id, this.ctx.host));
    if (fault?.kind === 'memory-limit') return status('INTERNAL_ERROR', MEMORY_LIMIT_MESSAGE);
    // The FE refuses an empty commit (`empty_load_as_error`, §4.3) as a UserException.
    if (data.ops.length === 0) return status('ANALYSIS_ERROR', 'all partitions have no load data');
    const publish = () => table.store.apply(data.ops, data.columns);
    const publishTimeout = fault?.kind === 'publish-timeout' ? fault : null;
    if (prepare) {
      this.ctx.labels.prepare(c.db, c.label, { table: c.table, publish }, preparedTimeoutSeconds * 1000);
    } else {
      publish();
      this.ctx.labels.commit(c.db, c.label, publishTimeout?.visibleAfterMs ?? 0);
    }
    c.needRollback = false;
    if (publishTimeout) {
      // Committed but not visible: the context stays with this status (no rollback, §5.3).
      c.data = null;
      return status('PUBLISH_TIMEOUT', publishTimeoutMessage(c.txnId));
    }
    this.contexts.delete(c.label);
    return OK_STATUS;
  }

  private rollback(req: IncomingMessage, label: string, reply: Reply): void {
    const c = this.context(label);
    if (!c) return reply('rollback', status('TXN_NOT_EXISTS', `transaction with label ${label} not exists`));
    const db = header(req.headers, 'db') ?? '';
    if (db !== c.db) return reply('rollback', status('INVALID_ARGUMENT', `request db ${db} transaction db ${c.db} not match`));
    c.status = status('ABORTED', 'transaction is aborted by user.');
    if (this.rollbackContext(c)) return reply('rollback', OK_STATUS);
    reply('rollback', status('ANALYSIS_ERROR', `transaction's state is already ${this.ctx.labels.state(c.db, label)}, could not abort`));
  }

  /**
   * `_rollback_transaction`: the FE aborts, then the context goes. The FE cannot abort a committed
   * transaction; the context then stays.
   */
  private rollbackContext(c: TxnContext): boolean {
    const state = this.ctx.labels.state(c.db, c.label);
    if (state === 'COMMITTED' || state === 'VISIBLE') return false;
    this.ctx.labels.abort(c.db, c.label);
    this.contexts.delete(c.label);
    return true;
  }

  /**
   * The context of a label, after the cleaner's timeout checks: a transaction past its `timeout`,
   * or idle longer than `idle_transaction_timeout` (+ the cleaner interval), is rolled back.
   */
  private context(label: string): TxnContext | undefined {
    const c = this.contexts.get(label);
    if (!c || c.busy) return c;
    const elapsed = (this.ctx.now() - c.beganAt) / 1000;
    const idle = (this.ctx.now() - c.lastActiveAt) / 1000;
    let reason: string | null = null;
    if (elapsed > c.timeoutSeconds) reason = `transaction is aborted by timeout ${c.timeoutSeconds} seconds.`;
    else if (c.idleTimeoutSeconds > 0 && idle > c.idleTimeoutSeconds + CLEAN_INTERVAL_SECONDS) {
      reason = `transaction is aborted by idle timeout ${c.idleTimeoutSeconds} seconds.`;
    }
    if (reason === null) return c;
    c.status = status('ABORTED', reason);
    return this.rollbackContext(c) ? undefined : c;
  }
}

/** `ctx->brief()`: `id=<load id>, job_id=-1, txn_id: <n>, label=<l>, db=<db>`. */
function brief(c: TxnContext): string {
  return `id=${c.id}, job_id=-1, txn_id: ${c.txnId}, label=${c.label}, db=${c.db}`;
}

function replyContext(c: TxnContext): ReplyContext {
  return {
    label: c.label,
    existingJobStatus: '',
    txnId: c.txnId,
    requestBytes: 0,
    totalBytes: c.totalBytes,
    totalRows: c.data?.totalRows ?? 0,
    loadedRows: c.data?.ops.length ?? 0,
    filteredRows: c.data?.filteredRows ?? 0,
    loadTimeMs: Math.round(performance.now() - c.started),
    errorUrl: c.errorUrl,
  };
}

/** One more load's rows after the earlier ones; the error log stays bounded. */
function append(into: LoadData, more: LoadData): LoadData {
  for (const op of more.ops) into.ops.push(op);
  into.totalRows += more.totalRows;
  into.filteredRows += more.filteredRows;
  into.errorLines.push(...more.errorLines.slice(0, MAX_ERROR_LINES - into.errorLines.length));
  return into;
}

/** `string_to_unsigned_int<int32_t>` of a header: absent/empty → null. */
function unsignedHeader(req: IncomingMessage, name: string): number | null | 'invalid' {
  const value = header(req.headers, name);
  if (value === undefined || value === '') return null;
  return /^\d+$/.test(value) && Number(value) <= 2147483647 ? Number(value) : 'invalid';
}
