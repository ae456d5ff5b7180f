import { createRoute, z } from '@hono/zod-openapi'
import { mappingEnvSchema, mappingRuleSchema } from '../src/instances/config.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import type { AdminOptions } from './context.ts'
import { conflict, errorResponses, fieldIssue, invalidInput, notFound } from './errors.ts'
import { nameParam } from './instance-schemas.ts'
import { actor, json, router, userSecurity } from './router.ts'

/**
 * Table mapping environments: named, ordered rule lists. The order of `rules` in the body is the
 * order rules are tried (first match wins), so it is stored exactly as sent.
 */
const base = { tags: ['mapping environments'], security: userSecurity }

// Strict, rules too: a misspelt field (`deletemode`) is a 400 naming it, not a silent default.
const envCreateSchema = mappingEnvSchema.extend({ rules: z.array(mappingRuleSchema.strict()) }).strict()
const envUpdateSchema = envCreateSchema.omit({ name: true }).extend({ name: z.string().optional() }).strict()
const envSummarySchema = z.object({ name: z.string(), title: z.string(), description: z.string(), rules: z.number(), usedBy: z.array(z.string()) })

export function mappingEnvRoutes(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const app = router()

  async function find(name: string) {
    const env = await store.getMappingEnv(name)
    if (!env) throw notFound(`mapping environment ${name}`)
    return env
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/mapping-envs', summary: 'All mapping environments and the instances using each', responses: { 200: { description: 'environments', content: json(z.object({ mappingEnvs: z.array(envSummarySchema) })) }, ...errorResponses(401) } }),
    async (c) => {
      const [names, users] = await Promise.all([store.listMappingEnvs(), store.usersOfMappingEnvs()])
      const envs = await store.mappingEnvSummaries(names)
      const mappingEnvs = envs.map((env) => ({ ...env, usedBy: users.get(env.name) ?? [] }))
      return c.json({ mappingEnvs }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/mapping-envs', summary: 'Create a mapping environment', request: { body: { required: true, content: json(envCreateSchema) } }, responses: { 201: { description: 'created', content: json(mappingEnvSchema) }, ...errorResponses(400, 401, 409) } }),
    async (c) => {
      const input = c.req.valid('json')
      const env = await store.createMappingEnv(input)
      if (!env) throw conflict(`mapping environment ${input.name} already exists`)
      opts.log.info({ by: actor(c.get('principal')), mappingEnv: env.name, rules: env.rules.length }, 'mapping environment created')
      return c.json(env, 201)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/mapping-envs/{name}', summary: 'One mapping environment with its rules in order', request: { params: nameParam }, responses: { 200: { description: 'the environment', content: json(mappingEnvSchema) }, ...errorResponses(401, 404) } }),
    async (c) => c.json(await find(c.req.valid('param').name), 200),
  )

  app.openapi(
    createRoute({ ...base, method: 'put', path: '/api/mapping-envs/{name}', summary: 'Replace description and rules (running loaders pick it up)', request: { params: nameParam, body: { required: true, content: json(envUpdateSchema) } }, responses: { 200: { description: 'updated', content: json(mappingEnvSchema) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const input = c.req.valid('json')
      await find(name)
      if (input.name !== undefined && input.name !== name) throw invalidInput([fieldIssue('name', 'field.env_rename')])
      const env = await store.saveMappingEnv({ ...input, name })
      opts.log.info({ by: actor(c.get('principal')), mappingEnv: name, rules: env.rules.length }, 'mapping environment updated')
      return c.json(env, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/mapping-envs/{name}', summary: 'Delete a mapping environment no instance uses', request: { params: nameParam }, responses: { 200: { description: 'deleted', content: json(z.object({ deleted: z.string() })) }, ...errorResponses(401, 404, 409) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      await find(name)
      const usedBy = await store.instancesUsing(name)
      if (usedBy.length > 0) throw conflict(`mapping environment ${name} is used by ${usedBy.join(', ')}`)
      if (!(await store.deleteMappingEnv(name))) throw notFound(`mapping environment ${name}`)
      opts.log.info({ by: actor(c.get('principal')), mappingEnv: name }, 'mapping environment deleted')
      return c.json({ deleted: name }, 200)
    },
  )

  return app
}
