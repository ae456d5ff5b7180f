/** HTTP Basic authentication as both FE and BE parse it (§1.4, §1.5). */
import type { IncomingMessage } from 'node:http';

export interface Credentials {
  user: string;
  password: string;
}

export function parseBasicAuth(header: string | undefined): Credentials | null {
  const m = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class Users {
  constructor(private readonly passwords: Record<string, string>) {}

  check(c: Credentials): boolean {
    return Object.hasOwn(this.passwords, c.user) && this.passwords[c.user] === c.password;
  }

  password(user: string): string | undefined {
    return Object.hasOwn(this.passwords, user) ? this.passwords[user] : undefined;
  }
}

/** The client address as StarRocks prints it in `Access denied for <user>@<ip>`. */
export function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** The FE's `WWW-Authenticate` challenge on its 401 replies (§1.4). */
export const AUTH_CHALLENGE = { 'WWW-Authenticate': 'Basic realm=""' };

/** The reason the FE refuses a request with 401 (§1.4), or null when the user is authenticated. */
export function feAuthFailure(users: Users, req: IncomingMessage): string | null {
  const credentials = parseBasicAuth(req.headers.authorization);
  if (!credentials) return 'Need auth information.';
  if (!users.check(credentials)) return `Access denied for ${credentials.user}@${clientIp(req)}`;
  return null;
}
