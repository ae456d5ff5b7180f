import { OpenAPIHono } from '@hono/zod-openapi'
import type { AdminEnv, Principal } from './context.ts'
import { validationHook } from './errors.ts'

/** A resource's routes: documented in the OpenAPI registry, validated with our 400 shape. */
export function router() {
  return new OpenAPIHono<AdminEnv>({ defaultHook: validationHook })
}

/** Who may call a route; shown in the OpenAPI document and enforced by auth.ts. */
export const userSecurity: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }]
export const nodeSecurity: Record<string, string[]>[] = [{ nodeToken: [] }]

/** A JSON body or answer of the given schema, as OpenAPI route configs spell it. */
export const json = <T>(schema: T) => ({ 'application/json': { schema } })

/** Who did it, for the audit lines in the log. */
export const actor = (p: Principal) => (p.kind === 'user' ? p.user : p.kind)
