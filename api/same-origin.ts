import type { Context, MiddlewareHandler } from 'hono'
import { say } from '../src/messages.ts'

/**
 * Cross-site requests may not change anything. A browser says where a request comes from
 * (Sec-Fetch-Site, Origin); a state-changing request that another site made is refused. A cookie
 * session that says nothing of its origin must at least send JSON, which no other site can make a
 * browser send without asking first (CORS preflight, which this admin never grants).
 */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

export function refuseCrossSite(trustProxy = false): MiddlewareHandler {
  return async (c, next) => {
    if (safeMethods.has(c.req.method)) return next()
    const problem = crossSiteProblem(c, trustProxy)
    if (problem) {
      const said = say('auth.cross_site', { reason: problem })
      return c.json({ error: said.message, code: said.code, params: said.params }, 403)
    }
    return next()
  }
}

/** For a request authenticated by its session cookie: refused unless it shows it is our own page's. */
export function cookieRequestProblem(c: Context): string | undefined {
  if (safeMethods.has(c.req.method)) return undefined
  if (c.req.header('origin') || c.req.header('sec-fetch-site')) return undefined // checked by refuseCrossSite
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) return 'a state-changing request with a session cookie must send Content-Type: application/json'
  return undefined
}

function crossSiteProblem(c: Context, trustProxy: boolean): string | undefined {
  const site = c.req.header('sec-fetch-site')
  if (site && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`
  const origin = c.req.header('origin')
  if (origin === undefined) return undefined
  const host = (trustProxy && c.req.header('x-forwarded-host')?.split(',')[0]?.trim()) || c.req.header('host') || new URL(c.req.url).host
  let originHost: string
  try {
    originHost = new URL(origin).host
  } catch {
    return `Origin ${origin} is not a URL`
  }
  return originHost === host ? undefined : `Origin ${origin} is not this site (${host})`
}
