import { createRoute, z } from '@hono/zod-openapi'
import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { clientAddress } from './client-address.ts'
import { consoleUsers } from './console-users.ts'
import { loginLimiter } from './login-limit.ts'
import { requiredRole } from './route-roles.ts'
import { allows, roles } from './roles.ts'
import { cookieRequestProblem } from './same-origin.ts'
import type { AdminEnv, AdminOptions } from './context.ts'
import { ApiError, errorResponses, fieldIssue, invalidInput, refusal } from './errors.ts'
import { router, userSecurity } from './router.ts'
import { sessions, tokenHash } from './sessions.ts'
import { newPassword } from './users.ts'

/**
 * Who may call what. Console users log in and carry a session token (Bearer header or HttpOnly
 * cookie); consumer nodes carry the node token and may only register and heartbeat; Prometheus
 * carries the metrics token and may only scrape /metrics (open to all only when configured so).
 * Everything but login, health and the OpenAPI document needs one of these.
 */
export const sessionCookie = 'k2s_session'
const defaultSessionTtlMs = 12 * 3600_000

const publicRoutes = [
  ['POST', /^\/api\/login$/],
  ['GET', /^\/api\/health$/],
  ['GET', /^\/api\/openapi\.json$/],
  // The console's files (its login page among them); the data they show comes through the API.
  ['GET', /^\/(ui(\/.*)?)?$/],
] as const
const metricsRoute = [['GET', /^\/metrics$/]] as const
const nodeRoutes = [
  ['POST', /^\/api\/nodes\/register$/],
  ['POST', /^\/api\/nodes\/[^/]+\/heartbeat$/],
] as const

// HEAD is answered by the GET route, so it is allowed wherever GET is.
const matches = (routes: readonly (readonly [string, RegExp])[], method: string, path: string) =>
  routes.some(([m, pattern]) => (m === method || (m === 'GET' && method === 'HEAD')) && pattern.test(path))

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

const sameSecret = (a: string, b: string) => timingSafeEqual(Buffer.from(tokenHash(a), 'hex'), Buffer.from(tokenHash(b), 'hex'))

export function authenticate(opts: AdminOptions): MiddlewareHandler<AdminEnv> {
  const logins = sessions(opts.redis, opts.keys, opts.auth.sessionTtlMs ?? defaultSessionTtlMs)
  const { nodeToken, metricsToken } = opts.auth
  return async (c, next) => {
    const { method, path } = c.req
    if (matches(publicRoutes, method, path)) return next()
    const scrape = matches(metricsRoute, method, path)
    if (scrape && opts.auth.metricsPublic) return next()
    const bearer = bearerToken(c.req.header('authorization'))
    if (bearer && metricsToken && sameSecret(bearer, metricsToken)) {
      if (!scrape) throw new ApiError(403, 'the metrics token may only read /metrics')
      c.set('principal', { kind: 'metrics' })
      return next()
    }
    const nodeRoute = matches(nodeRoutes, method, path)
    if (bearer && nodeToken && sameSecret(bearer, nodeToken)) {
      if (!nodeRoute) throw new ApiError(403, 'a node token may only register nodes and send heartbeats')
      c.set('principal', { kind: 'node' })
      return next()
    }
    if (nodeRoute) throw new ApiError(401, 'this route takes a node token')
    const token = bearer ?? getCookie(c, sessionCookie)
    const session = token ? await logins.find(token) : null
    if (!session) {
      // A browser opening Bull Board without a login is sent to the console's login page.
      // After the login it comes back here, not to the console's first page.
      if (method === 'GET' && /^\/queues(\/|$)/.test(path) && c.req.header('accept')?.includes('text/html')) return c.redirect(`/ui/#/login?next=${encodeURIComponent(path)}`)
      throw new ApiError(401, 'login required')
    }
    // A cookie goes along with any site's request; a bearer token only with ours.
    const crossSite = bearer ? undefined : cookieRequestProblem(c)
    if (crossSite) throw refusal(403, 'auth.cross_site', { reason: crossSite })
    const needed = requiredRole(method, path)
    if (!allows(session.role, needed)) throw refusal(403, 'auth.role_required', { role: needed, user: session.user, current: session.role })
    c.set('principal', { kind: 'user', user: session.user, tokenHash: session.tokenHash, role: session.role })
    return next()
  }
}

const loginBody = z.object({ user: z.string().min(1).max(128), password: z.string().min(1).max(1024) })
const loginReply = z.object({ token: z.string(), user: z.string(), expiresAt: z.string() })
const passwordChangeBody = z.object({ currentPassword: z.string().min(1).max(1024), newPassword }).strict()

export function authRoutes(opts: AdminOptions) {
  const ttlMs = opts.auth.sessionTtlMs ?? defaultSessionTtlMs
  const users = consoleUsers(opts.redis, opts.keys)
  const logins = sessions(opts.redis, opts.keys, ttlMs)
  const limiter = loginLimiter(opts.redis, opts.keys, opts.auth.loginLimits)
  const app = router()

  const limited = (seconds: number) => refusal(429, 'auth.login_limited', { seconds }, { 'Retry-After': String(seconds) })

  /**
   * A wrong password, at the login or as the current one in a change, counts towards the same
   * limits: a stolen session must not become a way round them. One line when a guesser starts and
   * one when it is blocked, not one per guess: a flood must not push everything else out of the
   * node's recent log.
   */
  async function wrongPassword(user: string, address: string, what: 'login' | 'password change') {
    const { first, block } = await limiter.failed(user, address)
    if (first) opts.log.warn({ user, address }, what === 'login' ? 'console login refused' : 'console password change refused: wrong current password')
    if (block) opts.log.warn({ user, address, limit: block.scope, retryAfterSeconds: block.retryAfterSeconds }, 'console logins blocked after repeated failures')
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/login',
      tags: ['auth'],
      summary: 'Log in to the console: a session token, also set as an HttpOnly cookie',
      request: { body: { required: true, content: { 'application/json': { schema: loginBody } } } },
      responses: { 200: { description: 'logged in', content: { 'application/json': { schema: loginReply } } }, ...errorResponses(400, 401, 429) },
    }),
    async (c) => {
      const { user, password } = c.req.valid('json')
      const address = clientAddress(c, opts.auth.trustProxy)
      const blocked = await limiter.blocked(user, address)
      if (blocked) throw limited(blocked.retryAfterSeconds)
      if (!(await users.check(user, password))) {
        await wrongPassword(user, address, 'login')
        throw new ApiError(401, 'wrong user or password')
      }
      await limiter.succeeded(user, address)
      const opened = await logins.open(user)
      if (!opened) throw new ApiError(401, 'wrong user or password')
      const { token, expiresAt } = opened
      // Secure when configured, or when the request came over HTTPS (directly, or by a trusted proxy's word).
      const https = new URL(c.req.url).protocol === 'https:' || (opts.auth.trustProxy === true && c.req.header('x-forwarded-proto') === 'https')
      setCookie(c, sessionCookie, token, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: Math.floor(ttlMs / 1000), secure: (opts.auth.secureCookie ?? false) || https })
      opts.log.info({ user }, 'console login')
      return c.json({ token, user, expiresAt }, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/logout',
      tags: ['auth'],
      summary: 'End this session',
      security: userSecurity,
      responses: { 200: { description: 'logged out', content: { 'application/json': { schema: z.object({ ok: z.boolean() }) } } }, ...errorResponses(401) },
    }),
    async (c) => {
      const principal = c.get('principal')
      if (principal.kind === 'user') await logins.close(principal.tokenHash)
      deleteCookie(c, sessionCookie, { path: '/' })
      return c.json({ ok: true }, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      tags: ['auth'],
      summary: 'Who this session belongs to',
      security: userSecurity,
      responses: { 200: { description: 'the user and their role', content: { 'application/json': { schema: z.object({ user: z.string(), role: z.enum(roles) }) } } }, ...errorResponses(401) },
    }),
    (c) => {
      const principal = c.get('principal')
      return c.json(principal.kind === 'user' ? { user: principal.user, role: principal.role } : { user: '', role: 'viewer' as const }, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/me/password',
      tags: ['auth'],
      summary: 'Change your own password: the current one is needed, and your other sessions end',
      security: userSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: passwordChangeBody } } } },
      responses: { 200: { description: 'changed', content: { 'application/json': { schema: z.object({ ok: z.boolean() }) } } }, ...errorResponses(400, 401, 403, 429) },
    }),
    async (c) => {
      const principal = c.get('principal')
      if (principal.kind !== 'user') throw new ApiError(403, 'only a console user has a password to change')
      const { user } = principal
      const { currentPassword, newPassword: chosen } = c.req.valid('json')
      const address = clientAddress(c, opts.auth.trustProxy)
      const blocked = await limiter.blocked(user, address)
      if (blocked) throw limited(blocked.retryAfterSeconds)
      if (!(await users.check(user, currentPassword))) {
        await wrongPassword(user, address, 'password change')
        throw invalidInput([fieldIssue('currentPassword', 'field.password_wrong')])
      }
      await limiter.succeeded(user, address)
      // The new password's stamp ends every session opened with the old one; this one is kept.
      await users.setPassword(user, chosen)
      await logins.restamp(principal.tokenHash)
      opts.log.info({ user }, 'console user changed their own password; their other sessions ended')
      return c.json({ ok: true }, 200)
    },
  )

  return app
}
