import type { Context } from 'hono'

/**
 * Who is calling, for login limits: the socket's address, or, behind a proxy the operator says
 * to trust, the first address of X-Forwarded-For (a client could write anything there otherwise).
 */
export function clientAddress(c: Context, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded
  }
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? 'unknown'
}
