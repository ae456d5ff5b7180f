/**
 * The FE HTTP port (§1.1–§1.4, §3.5, §5.2): authenticates, checks `Expect`, and redirects Stream
 * Load to the BE with a 307 without ever reading the body; routes the Transaction Stream Load API
 * (fe-transaction.ts). Also the emulator's control endpoint.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Catalog } from './catalog.ts';
import { faultSchema, type Fault, type FaultBoard } from './faults.ts';
import { FeTransactions } from './fe-transaction.ts';
import { AUTH_CHALLENGE, feAuthFailure, type Users } from './http-auth.ts';
import { feLoadFailure, redirect, restResult, send, sleep } from './http-reply.ts';
import type { LabelRegistry } from './label-registry.ts';
import type { LoadRecord } from './load-result.ts';

export interface FeContext {
  users: Users;
  catalog: Catalog;
  labels: LabelRegistry;
  faults: FaultBoard;
  /** `http://<host>:<bePort>`, the BE as the cluster registered it (§1.2). */
  beUrl(): string;
  control: {
    inject(fault: Fault): void;
    clear(): void;
    release(label: string): void;
    loads(): LoadRecord[];
  };
}

const STREAM_LOAD = /^\/api\/([^/]*)\/([^/]*)\/_stream_load$/;
const LOAD_STATE = /^\/api\/([^/]*)\/get_load_state$/;
const TRANSACTION = /^\/api\/transaction\/([^/]*)$/;

export function createFeServer(ctx: FeContext): http.Server {
  const server = http.createServer();
  const transactions = new FeTransactions(ctx);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    route(ctx, transactions, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, restResult(false, String(err)), {}, true);
    });
  };
  server.on('request', handle);
  // Never `writeContinue()`: the FE answers before the body is sent (§1.3). Registering these
  // listeners stops node from answering 100 Continue or 417 by itself.
  server.on('checkContinue', handle);
  server.on('checkExpectation', handle);
  return server;
}

async function route(ctx: FeContext, transactions: FeTransactions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fe');
  if (url.pathname.startsWith('/_emulator/')) return control(ctx, req, res, url);
  const load = STREAM_LOAD.exec(url.pathname);
  if (load && req.method === 'PUT') return streamLoad(ctx, req, res, decodeURIComponent(load[1]!), decodeURIComponent(load[2]!));
  const txn = TRANSACTION.exec(url.pathname);
  // §5.1: POST or PUT on every op.
  if (txn && (req.method === 'POST' || req.method === 'PUT')) return transactions.handle(req, res, decodeURIComponent(txn[1]!));
  const state = LOAD_STATE.exec(url.pathname);
  if (state && req.method === 'GET') return loadState(ctx, req, res, decodeURIComponent(state[1]!), url.searchParams.get('label'));
  // Unregistered path or method → the FE's not-found action (§1.7).
  send(res, 404, JSON.stringify({ status: 'FAILED', msg: 'Not implemented' }), {}, true);
}

/** Auth → Expect → db/table → backend → 307 (§1.1). */
async function streamLoad(ctx: FeContext, req: IncomingMessage, res: ServerResponse, db: string, table: string): Promise<void> {
  const denied = feAuthFailure(ctx.users, req);
  if (denied) return send(res, 401, restResult(false, denied), AUTH_CHALLENGE, true);
  // §1.1 (3.3+): HTTP/1.1 needs a valid `100-continue` expectation; HTTP/1.0 is exempt.
  if (req.httpVersion !== '1.0' && req.headers.expect?.trim().toLowerCase() !== '100-continue') {
    return send(res, 200, feLoadFailure('There is no 100-continue header'), {}, true);
  }
  if (db === '') return send(res, 200, feLoadFailure('No database selected.'), {}, true);
  if (table === '') return send(res, 200, feLoadFailure('No table selected.'), {}, true);
  const target = { db, table };
  if (ctx.faults.take(['no-backend'], target)) return send(res, 200, feLoadFailure('No backend alive.'), {}, true);
  const slow = ctx.faults.take(['slow'], target, (f) => f.kind === 'slow' && f.at === 'fe');
  if (slow?.kind === 'slow') await sleep(slow.ms);
  // §1.2: path and query verbatim.
  redirect(res, `${ctx.beUrl()}${req.url}`);
}

/** §3.5: `{"status":"OK",...,"state":"VISIBLE"}`. */
function loadState(ctx: FeContext, req: IncomingMessage, res: ServerResponse, db: string, label: string | null): void {
  const denied = feAuthFailure(ctx.users, req);
  if (denied) return send(res, 401, restResult(false, denied), AUTH_CHALLENGE);
  if (!label) return send(res, 200, restResult(false, 'No label selected.'));
  if (!ctx.catalog.hasDatabase(db)) return send(res, 200, restResult(false, `unknown database, database=${db}`));
  send(res, 200, restResult(true, 'Success', { state: ctx.labels.state(db, label) }));
}

/**
 * Emulator control for standalone use: `POST /_emulator/faults` (a Fault as JSON),
 * `DELETE /_emulator/faults`, `POST /_emulator/faults/release?label=l`, `GET /_emulator/loads`.
 */
async function control(ctx: FeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /_emulator/loads') return send(res, 200, JSON.stringify(ctx.control.loads()));
  if (route === 'DELETE /_emulator/faults') {
    ctx.control.clear();
    return send(res, 200, '{"ok":true}');
  }
  if (route === 'POST /_emulator/faults/release') {
    ctx.control.release(url.searchParams.get('label') ?? '');
    return send(res, 200, '{"ok":true}');
  }
  if (route === 'POST /_emulator/faults') {
    if (req.headers.expect) res.writeContinue();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let input: unknown;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, JSON.stringify({ error: 'body must be JSON' }));
    }
    const parsed = faultSchema.safeParse(input);
    if (!parsed.success) return send(res, 400, JSON.stringify({ error: parsed.error.issues }));
    if (parsed.data.kind === 'down' && parsed.data.ms === undefined) {
      // Nothing could bring the FE back: its own port is what goes down.
      return send(res, 400, JSON.stringify({ error: 'down needs ms when injected over HTTP' }));
    }
    // After the reply, so a `down` fault does not cut this very answer.
    res.on('finish', () => ctx.control.inject(parsed.data));
    return send(res, 200, '{"ok":true}');
  }
  send(res, 404, JSON.stringify({ status: 'FAILED', msg: 'Not implemented' }));
}
