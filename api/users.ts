import { createRoute, z } from '@hono/zod-openapi'
import { consoleUsers, minPasswordLength } from './console-users.ts'
import type { AdminOptions } from './context.ts'
import { conflict, errorResponses, notFound } from './errors.ts'
import { roles } from './roles.ts'
import { actor, json, router, userSecurity } from './router.ts'

/**
 * Console users and their roles, managed by admins. There is always at least one admin: the last
 * one can be neither removed nor made something else. A new password ends the user's sessions.
 */
const base = { tags: ['users'], security: userSecurity }
const userName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'use 1-64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit')
/** A password a user is given or chooses (also their own change, api/auth.ts). */
export const newPassword = z.string().min(minPasswordLength, `at least ${minPasswordLength} characters`).max(1024)
const userSchema = z.object({ name: z.string(), role: z.enum(roles) })
const nameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) })

export function userRoutes(opts: AdminOptions) {
  const users = consoleUsers(opts.redis, opts.keys)
  const app = router()

  async function lastAdmin(name: string): Promise<boolean> {
    const all = await users.list()
    return all.filter((u) => u.role === 'admin').every((u) => u.name === name)
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/users', summary: 'Console users and their roles', responses: { 200: { description: 'users', content: json(z.object({ users: z.array(userSchema) })) }, ...errorResponses(401, 403) } }),
    async (c) => c.json({ users: await users.list() }, 200),
  )

  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/users', summary: 'Add a console user with a role', request: { body: { required: true, content: json(z.object({ name: userName, role: z.enum(roles), password: newPassword }).strict()) } }, responses: { 201: { description: 'added', content: json(userSchema) }, ...errorResponses(400, 401, 403, 409) } }),
    async (c) => {
      const { name, role, password: secret } = c.req.valid('json')
      if (!(await users.create(name, secret, role))) throw conflict(`user ${name} already exists`)
      opts.log.info({ by: actor(c.get('principal')), user: name, role }, 'console user added')
      return c.json({ name, role }, 201)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'put', path: '/api/users/{name}', summary: "Change a user's role or password (a new password ends their sessions)", request: { params: nameParam, body: { required: true, content: json(z.object({ role: z.enum(roles).optional(), password: newPassword.optional() }).strict()) } }, responses: { 200: { description: 'changed', content: json(userSchema) }, ...errorResponses(400, 401, 403, 404, 409) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const { role, password: secret } = c.req.valid('json')
      const current = await users.role(name)
      if (!current) throw notFound(`user ${name}`)
      if (role && role !== 'admin' && current === 'admin' && (await lastAdmin(name))) throw conflict(`${name} is the last admin: make another user admin first`)
      if (role) await users.setRole(name, role)
      if (secret) await users.setPassword(name, secret)
      opts.log.info({ by: actor(c.get('principal')), user: name, role, passwordChanged: secret !== undefined }, 'console user changed')
      return c.json({ name, role: role ?? current }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/users/{name}', summary: 'Remove a console user (their sessions end)', request: { params: nameParam }, responses: { 200: { description: 'removed', content: json(z.object({ deleted: z.string() })) }, ...errorResponses(401, 403, 404, 409) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const current = await users.role(name)
      if (!current) throw notFound(`user ${name}`)
      if (current === 'admin' && (await lastAdmin(name))) throw conflict(`${name} is the last admin and cannot be removed`)
      await users.remove(name)
      opts.log.info({ by: actor(c.get('principal')), user: name }, 'console user removed')
      return c.json({ deleted: name }, 200)
    },
  )

  return app
}
