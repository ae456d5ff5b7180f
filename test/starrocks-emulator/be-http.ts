/**
 * The BE HTTP port: executes Stream Load (§1.5, §1.6, §2, §3, §4.3, §6), the BE side of the
 * Transaction Stream Load API (§5.3, be-transaction.ts) and serves error logs. Header and plan
 * errors answer before the body is requested (§1.3).
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BeTransactions } from './be-transaction.ts';
import type { Catalog, Table } from './catalog.ts';
import type { ErrorLogs } from './error-log.ts';
import { MEMORY_LIMIT_MESSAGE, publishTimeoutMessage, tooManyVersionsMessage, type FaultBoard } from './faults.ts';
import { loadTxnBegin } from './fe-service.ts';
import { clientIp, parseBasicAuth, type Users } from './http-auth.ts';
import { send, sleep } from './http-reply.ts';
import type { LabelRegistry } from './label-registry.ts';
import { prepareLoad, readLoadData, type LoadData } from './load-executor.ts';
import { checkLoadHeaders, checkRequestHeaders, header } from './load-options.ts';
import {
  renderLoadResult,
  ZERO_COUNTERS,
  ZERO_TIMINGS,
  type LoadCounters,
  type LoadRecord,
  type LoadResult,
  type LoadStatus,
} from './load-result.ts';
import { BodyReader } from './request-body.ts';

export interface BeContext {
  users: Users;
  catalog: Catalog;
  labels: LabelRegistry;
  faults: FaultBoard;
  errorLogs: ErrorLogs;
  loads: LoadRecord[];
  now(): number;
  /** `http://<host>:<bePort>` for ErrorURL. */
  beUrl(): string;
  host: string;
}

const STREAM_LOAD = /^\/api\/([^/]+)\/([^/]+)\/_stream_load$/;
const TRANSACTION = /^\/api\/transaction\/([^/]+)$/;
const BE_FAULTS = ['too-many-versions', 'memory-limit', 'reset', 'slow', 'publish-timeout'] as const;

export function createBeServer(ctx: BeContext): http.Server {
  const server = http.createServer();
  const bodies = new BodyReader();
  const transactions = new BeTransactions(ctx, bodies);
  const handle = (expectContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    route(ctx, req, res, expectContinue, bodies, transactions).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ status: 'Fail', msg: String(err) }), {}, true);
    });
  };
  server.on('request', handle(false));
  server.on('checkContinue', handle(true));
  server.on('checkExpectation', handle(false));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (bodies.onClientError(err, socket)) return;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });
  return server;
}

async function route(
  ctx: BeContext,
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue: boolean,
  bodies: BodyReader,
  transactions: BeTransactions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://be');
  const load = STREAM_LOAD.exec(url.pathname);
  if (load && req.method === 'PUT') {
    const attempt = new LoadAttempt(ctx, req, res, decodeURIComponent(load[1]!), decodeURIComponent(load[2]!));
    return attempt.run(expectContinue, bodies);
  }
  const txn = TRANSACTION.exec(url.pathname);
  if (txn) return transactions.handle(req, res, decodeURIComponent(txn[1]!), expectContinue);
  if (url.pathname === '/api/_load_error_log' && req.method === 'GET') {
    const text = ctx.errorLogs.read(url.searchParams.get('file') ?? '');
    if (text === undefined) return send(res, 404, 'Not Found', { 'Content-Type': 'text/plain' });
    return send(res, 200, text, { 'Content-Type': 'text/plain' });
  }
  send(res, 404, 'Not Found', { 'Content-Type': 'text/plain' }, true);
}

/** One Stream Load request on the BE, from headers to reply. */
class LoadAttempt {
  private readonly started = performance.now();
  private readonly label: string;
  private txnId = -1;
  private fault: string | null = null;

  constructor(
    private readonly ctx: BeContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly db: string,
    private readonly tableName: string,
  ) {
    // §2.1: no label (or an empty one) → the BE generates a UUID.
    this.label = header(req.headers, 'label') || randomUUID();
  }

  async run(expectContinue: boolean, bodies: BodyReader): Promise<void> {
    const { ctx, req, db, label } = this;
    // Header phase (§1.5, §1.6, §3.4): nothing begun yet, TxnId -1, body never requested.
    const credentials = parseBasicAuth(req.headers.authorization);
    if (!credentials) return this.reject('no valid Basic authorization');
    const request = checkRequestHeaders(req.headers, label);
    if (!request.ok) return this.reject(request.message);
    const begun = loadTxnBegin(ctx, { credentials, clientIp: clientIp(req), db, table: this.tableName, label, timeoutMs: null });
    if (!begun.ok && begun.kind === 'analysis') return this.reject(begun.message);
    if (!begun.ok) {
      return this.reply({ status: 'Label Already Exists', existingJobStatus: begun.existingJobStatus, message: begun.message }, ZERO_COUNTERS, true);
    }
    this.txnId = begun.txnId;
    const table = begun.table;

    // Plan phase: inside the transaction, so errors abort it and free the label (§3.4).
    const options = checkLoadHeaders(req.headers, request.value);
    if (!options.ok) return this.abort(options.message, ZERO_COUNTERS, true);
    const prepared = prepareLoad(table.schema, options.value);
    if ('error' in prepared) return this.abort(prepared.error, ZERO_COUNTERS, true);

    if (expectContinue) this.res.writeContinue();
    const body = await bodies.read(req);
    if (body === 'closed') return this.abortSilently();
    if (body === 'short') return this.abort("receive body don't equal with body bytes", ZERO_COUNTERS, true);

    const data = readLoadData(prepared, body, new Date(ctx.now()));
    const counters: LoadCounters = {
      totalRows: data.totalRows,
      loadedRows: data.ops.length,
      filteredRows: data.filteredRows,
      unselectedRows: 0,
      loadBytes: body.length,
    };
    const errorUrl = data.errorLines.length > 0 ? `${ctx.beUrl()}/api/_load_error_log?file=${ctx.errorLogs.write(data.errorLines)}` : undefined;
    // §4.3: the ratio first (0 valid + ≥1 filtered fails here), then the empty-load check.
    if (data.filteredRows / (data.totalRows - counters.unselectedRows) > options.value.maxFilterRatio) {
      return this.abort('too many filtered rows', counters, false, errorUrl);
    }
    if (data.ops.length === 0) return this.abort('all partitions have no load data', counters, false, errorUrl);
    return this.commit(table, data, counters, errorUrl);
  }

  /** The commit stage, where the BE fault switches act. */
  private async commit(table: Table, data: LoadData, counters: LoadCounters, errorUrl: string | undefined): Promise<void> {
    const { ctx, db, label } = this;
    const fault = ctx.faults.take(BE_FAULTS, { db, table: this.tableName }, (f) => f.kind !== 'slow' || f.at !== 'fe');
    this.fault = fault?.kind ?? null;
    const apply = (visibleAfterMs = 0) => {
      table.store.apply(data.ops, data.columns);
      ctx.labels.commit(db, label, visibleAfterMs);
    };
    switch (fault?.kind) {
      case 'too-many-versions':
        return this.abort(tooManyVersionsMessage(table.id, ctx.host), counters, false, errorUrl);
      case 'memory-limit':
        return this.abort(MEMORY_LIMIT_MESSAGE, counters, false, errorUrl);
      case 'reset':
        if (fault.applied) apply();
        else ctx.labels.abort(db, label);
        this.record(fault.applied ? 'Success' : 'Fail', 'connection reset by fault', counters);
        this.req.socket.destroy();
        return;
      case 'slow':
        if (fault.applied === false) {
          // The label stays RUNNING while the client waits, then the load times out.
          await sleep(fault.ms);
          return this.abort('timeout', counters, false, errorUrl);
        }
        apply();
        await sleep(fault.ms);
        return this.reply({ status: 'Success', message: 'OK' }, counters, false, errorUrl);
      case 'publish-timeout':
        apply(fault.visibleAfterMs ?? 0);
        return this.reply({ status: 'Publish Timeout', message: publishTimeoutMessage(this.txnId) }, counters, false, errorUrl);
      default:
        apply();
        return this.reply({ status: 'Success', message: 'OK' }, counters, false, errorUrl);
    }
  }

  /** A failure before begin: TxnId -1, all counters zero (§1.6). */
  private reject(message: string): void {
    this.reply({ status: 'Fail', message }, ZERO_COUNTERS, true);
  }

  private abort(message: string, counters: LoadCounters, beforeBody: boolean, errorUrl?: string): void {
    this.ctx.labels.abort(this.db, this.label);
    this.reply({ status: 'Fail', message }, counters, beforeBody, errorUrl);
  }

  private abortSilently(): void {
    this.ctx.labels.abort(this.db, this.label);
    this.record('Fail', 'client closed the connection', ZERO_COUNTERS);
  }

  /**
   * `beforeBody` replies close the connection: the client may still be sending a body that was
   * never read.
   */
  private reply(
    outcome: { status: LoadStatus; message: string; existingJobStatus?: 'RUNNING' | 'FINISHED' },
    counters: LoadCounters,
    beforeBody: boolean,
    errorUrl?: string,
  ): void {
    // Only a begun transaction has timings; the emulator reports the total, other phases as 0.
    const loadTimeMs = this.txnId > 0 ? Math.round(performance.now() - this.started) : 0;
    const result: LoadResult = {
      ...counters,
      ...ZERO_TIMINGS,
      loadTimeMs,
      txnId: this.txnId,
      label: this.label,
      ...outcome,
      ...(errorUrl ? { errorUrl } : {}),
    };
    this.record(outcome.status, outcome.message, counters);
    send(this.res, 200, renderLoadResult(result), {}, beforeBody);
  }

  private record(status: LoadStatus, message: string, counters: LoadCounters): void {
    this.ctx.loads.push({
      at: this.ctx.now(),
      db: this.db,
      table: this.tableName,
      label: this.label,
      txnId: this.txnId,
      status,
      message,
      totalRows: counters.totalRows,
      loadedRows: counters.loadedRows,
      filteredRows: counters.filteredRows,
      fault: this.fault,
    });
  }
}
