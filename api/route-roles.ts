import type { Role } from './roles.ts'

/**
 * The least role each route needs, in one table: auth.ts enforces it and the OpenAPI document shows
 * it (`x-k2s-role`), so a test walking the document checks both at once. Reading needs `viewer`,
 * changing anything `operator`, managing console users `admin`; the exceptions are listed.
 */
const exceptions: [method: string, path: RegExp, role: Role][] = [
  // Everyone may end their own session and see who they are.
  ['POST', /^\/api\/logout$/, 'viewer'],
  // Everyone may change their own password (the current one is asked for).
  ['POST', /^\/api\/me\/password$/, 'viewer'],
  // A preview changes nothing; with an instance named it reads the target table's columns.
  ['POST', /^\/api\/mapping-envs\/preview$/, 'viewer'],
  // Test connection reaches any host and port the caller names: not for viewers.
  ['POST', /^\/api\/instances\/test-connection$/, 'operator'],
  ['GET', /^\/api\/users$/, 'admin'],
  ['POST', /^\/api\/users$/, 'admin'],
  ['PUT', /^\/api\/users\/[^/]+$/, 'admin'],
  ['DELETE', /^\/api\/users\/[^/]+$/, 'admin'],
]

export function requiredRole(method: string, path: string): Role {
  const m = method === 'HEAD' ? 'GET' : method
  for (const [em, pattern, role] of exceptions) if (em === m && pattern.test(path)) return role
  return m === 'GET' || m === 'OPTIONS' ? 'viewer' : 'operator'
}
