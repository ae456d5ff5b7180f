import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z, ZodError } from 'zod'
import { ConfigIssuesError } from '../src/instances/config.ts'
import { codeOfText, say, type MessageCode, type MessageParams, type Said } from '../src/messages.ts'
import type { Logger } from '../src/observe/logger.ts'
import { passwordAgainIssue, PasswordRebindError } from '../src/instances/secret-binding.ts'

/**
 * Every failure the API answers, in one shape: `{ error, issues? }`. Bad input is a 400 naming the
 * field (docs/design.md invariant 6) and never a 500; unknown names are 404, conflicts 409. Each
 * issue carries its message's code and params (src/messages.ts) beside the English, so the console
 * shows it in the reader's language.
 */
export type Issue = { path: string } & Said

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
/** A refusal of the request as a whole, with its message's code for the console. */
export function refusal(status: ApiError['status'], code: MessageCode, params: MessageParams = {}, headers: Record<string, string> = {}): ApiError {
  const said = say(code, params)
  return new ApiError(status, said.message, { code, params }, headers)
}
/** One field's problem, as `invalidInput` takes it. */
export const fieldIssue = (path: string, code: MessageCode, params: MessageParams = {}): Issue => ({ path, ...say(code, params) })

export function issuesOf(err: ZodError): Issue[] {
  return err.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.')
    // zod reports unknown fields once for their object; name each field instead.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => fieldIssue(path ? `${path}.${key}` : key, 'field.unknown'))
    return [{ path, ...saidOf(issue) }]
  })
}

const expectedCodes: Record<string, MessageCode> = {
  string: 'field.expected_text',
  number: 'field.expected_number',
  int: 'field.not_integer',
  boolean: 'field.expected_boolean',
  array: 'field.expected_list',
  object: 'field.expected_object',
}

/** A zod issue as a message: K2S' own wording when the schema gave one, else by what zod found. */
function saidOf(issue: ZodError['issues'][number]): Said {
  const own = codeOfText(issue.message)
  if (own) return say(own)
  const given = issue.code === 'custom' ? (issue.params as { said?: Said } | undefined)?.said : undefined
  if (given) return given
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined$/.test(issue.message)) return say('field.required')
      return expectedCodes[issue.expected] ? say(expectedCodes[issue.expected]!) : say('field.invalid_type', { expected: issue.expected })
    case 'too_small': {
      const minimum = Number(issue.minimum)
      if (issue.origin === 'string') return minimum === 1 ? say('field.required') : say('field.text_too_short', { minimum })
      if (issue.origin === 'array' || issue.origin === 'set') return say('field.list_too_short', { minimum })
      return say('field.number_too_small', { minimum })
    }
    case 'too_big': {
      const maximum = Number(issue.maximum)
      if (issue.origin === 'string') return say('field.text_too_long', { maximum })
      if (issue.origin === 'array' || issue.origin === 'set') return say('field.list_too_long', { maximum })
      return say('field.number_too_big', { maximum })
    }
    case 'invalid_value':
      return say('field.invalid_choice', { options: issue.values.map(String).join(', ') })
    case 'invalid_format':
      return say('field.invalid_format')
    default:
      return say('field.invalid')
  }
}

/** A message for display, as every route sends it. */
export const saidSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), message: z.string() })

export const errorSchema = z.object({
  error: z.string(),
  code: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  issues: z.array(saidSchema.extend({ path: z.string() })).optional(),
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
