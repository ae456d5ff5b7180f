import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z, ZodError } from 'zod'
import { ConfigIssuesError } from '../src/instances/config.ts'
import type { Logger } from '../src/observe/logger.ts'
import { passwordAgainIssue, PasswordRebindError } from '../src/instances/secret-binding.ts'

/**
 * Every failure the API answers, in one shape: `{ error, issues? }`. Bad input is a 400 naming the
 * field (docs/design.md invariant 6) and never a 500; unknown names are 404, conflicts 409.
 */
export type Issue = { path: string; message: string; code?: string; params?: Record<string, string | number> }

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 502,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export const notFound = (what: string) => new ApiError(404, `${what} not found`)
export const conflict = (message: string) => new ApiError(409, message)
export const invalidInput = (issues: Issue[]) => new ApiError(400, 'invalid input', { issues })

export function issuesOf(err: ZodError): Issue[] {
  return err.issues.flatMap((issue) => {
    const path = issue.path.map(String)
    // zod reports unknown fields once for their object; name each field instead.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }))
    // A check of ours names its message's code, and its parameters when it has any.
    const own = issue.code === 'custom' ? (issue.params as { code?: unknown; params?: Record<string, string | number> } | undefined) : undefined
    if (typeof own?.code === 'string') return [{ path: path.join('.'), message: issue.message, code: own.code, ...(own.params ? { params: own.params } : {}) }]
    return [{ path: path.join('.'), message: issue.message }]
  })
}

export const errorSchema = z.object({
  error: z.string(),
  code: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional(), params: z.record(z.string(), z.union([z.string(), z.number()])).optional() })).optional(),
})

/** The documented error answers, spread into a route's `responses`. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 429 | 502)[]) {
  const descriptions = { 400: 'invalid input', 401: 'not logged in', 403: 'not allowed', 404: 'not found', 409: 'conflict', 429: 'too many attempts: wait Retry-After seconds', 502: 'StarRocks refused or failed' }
  return Object.fromEntries(
    statuses.map((s) => [s, { description: descriptions[s], content: { 'application/json': { schema: errorSchema } } }]),
  ) as Record<(typeof statuses)[number], { description: string; content: { 'application/json': { schema: typeof errorSchema } } }>
}

/** The validation hook of every route: zod's issues become our 400. */
export function validationHook(result: { success: true } | { success: false; error: ZodError }, c: Context) {
  if (!result.success) return c.json({ error: 'invalid input', issues: issuesOf(result.error) }, 400)
  return undefined
}

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) return c.json({ error: err.message, ...err.extra }, err.status, err.headers)
    if (err instanceof PasswordRebindError) return c.json({ error: 'invalid input', issues: [passwordAgainIssue(err.changed)] }, 400)
    if (err instanceof ZodError) return c.json({ error: 'invalid input', issues: issuesOf(err) }, 400)
    if (err instanceof ConfigIssuesError) return c.json({ error: 'invalid input', issues: err.issues }, 400)
    // Every input problem is a 400, a body that is not JSON too (the validator says 415).
    if (err instanceof HTTPException && err.status === 415) return c.json({ error: 'send the body as JSON (Content-Type: application/json)' }, 400)
    // Hono's own refusals (malformed JSON body, …) carry their status and a safe message.
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status)
    // The message may hold anything (a Redis reply, a path): log it, answer nothing specific.
    log.error({ err: { name: err.name, message: err.message }, method: c.req.method, path: c.req.path }, 'admin API error')
    return c.json({ error: 'internal error' }, 500)
  }
}
