/**
 * Plain-HTTP client helpers for tests of the emulator (and of anything talking to it): node:http
 * so that `Expect: 100-continue` can be sent (undici refuses that header).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import assert from 'node:assert/strict';
import type { Connection, RowDataPacket } from 'mysql2/promise';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Whether the server sent `100 Continue` (i.e. asked for the body). */
  continued: boolean;
}

export interface RequestSpec {
  port: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send `Expect: 100-continue` and write the body only on `100 Continue` (default true for PUT). */
  expectContinue?: boolean;
}

export function request(spec: RequestSpec): Promise<HttpReply> {
  const method = spec.method ?? 'PUT';
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const expect = spec.expectContinue ?? method === 'PUT';
  return new Promise((resolve, reject) => {
    let continued = false;
    const headers: Record<string, string> = { ...spec.headers };
    if (body) headers['content-length'] = String(body.length);
    if (expect) headers.expect = '100-continue';
    const req = http.request({ host: '127.0.0.1', port: spec.port, method, path: spec.path, headers, agent: false });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), continued });
        req.destroy();
      });
    });
    if (expect) req.flushHeaders();
    else req.end(body);
  });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export interface StreamLoadReply {
  fe: HttpReply;
  be: HttpReply | null;
  /** The BE's JSON result (or the FE's when it did not redirect). */
  result: Record<string, unknown>;
}

/** A full Stream Load the way a careful client does it: FE with Expect, then the 307 target. */
export async function streamLoad(
  fePort: number,
  db: string,
  table: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<StreamLoadReply> {
  const path = `/api/${db}/${table}/_stream_load`;
  const fe = await request({ port: fePort, path, headers, body });
  if (fe.status !== 307) return { fe, be: null, result: JSON.parse(fe.text) as Record<string, unknown> };
  const location = new URL(fe.headers.location!);
  const be = await request({ port: Number(location.port), path: location.pathname + location.search, headers, body });
  return { fe, be, result: JSON.parse(be.text) as Record<string, unknown> };
}

/**
 * One Transaction Stream Load op (§5.1) the way the SDK sends it: POST (PUT for `load`, with
 * Expect) to the FE, then the same request to the 307 target.
 */
export async function transaction(
  fePort: number,
  op: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<StreamLoadReply> {
  const method = op === 'load' ? 'PUT' : 'POST';
  const fe = await request({ port: fePort, method, path: `/api/transaction/${op}`, headers, body });
  if (fe.status !== 307) return { fe, be: null, result: JSON.parse(fe.text) as Record<string, unknown> };
  const location = new URL(fe.headers.location!);
  const be = await request({ port: Number(location.port), method, path: location.pathname + location.search, headers, body });
  return { fe, be, result: JSON.parse(be.text) as Record<string, unknown> };
}

/** Rows of a query on the MySQL port. */
export async function queryRows(conn: Connection, sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const [result] = await conn.query<RowDataPacket[]>(sql, params);
  return result;
}

/** The MySQL error (errno, message) a statement must fail with. */
export async function queryError(conn: Connection, sql: string): Promise<[number, string]> {
  try {
    await conn.query(sql);
  } catch (e) {
    const err = e as { errno: number; message: string };
    return [err.errno, err.message];
  }
  assert.fail(`expected ${sql} to fail`);
}
