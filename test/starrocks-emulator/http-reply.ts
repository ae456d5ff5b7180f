/** Small helpers to answer HTTP requests the way StarRocks' FE and BE do. */
import type { ServerResponse } from 'node:http';

/**
 * Sends a complete reply. `close` answers with `Connection: close`, which every FE load reply
 * carries (§1.1) and which keeps an unread body from polluting a kept-alive connection.
 */
export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, close = false): void {
  const payload = Buffer.from(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    ...headers,
    'Content-Length': String(payload.length),
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(payload);
}

/** FE RestBaseResult, lower-case keys (§1.4): `{"status":"FAILED","code":"1","msg":...,"message":...}`. */
export function restResult(ok: boolean, msg: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({ status: ok ? 'OK' : 'FAILED', code: ok ? '0' : '1', msg, message: ok ? 'OK' : msg, ...extra });
}

/** FE load error: a pretty-printed Gson map with capitalized keys (§1.1). */
export function feLoadFailure(message: string): string {
  return JSON.stringify({ Status: 'FAILED', Message: `class com.starrocks.common.DdlException: ${message}` }, null, 2);
}

/** §1.2: the FE's 307 — empty body, FE default content type, always `Connection: close`. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(307, { Location: location, 'Content-Length': '0', 'Content-Type': 'text/html', Connection: 'close' });
  res.end();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
