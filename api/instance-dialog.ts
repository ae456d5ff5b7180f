import { createRoute, z } from '@hono/zod-openapi'
import { instanceConfigSchema } from '../src/instances/config.ts'
import { checkConnections } from '../src/starrocks/connection-check.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import type { AdminOptions } from './context.ts'
import { conflict, errorResponses, fieldIssue, invalidInput, notFound, saidSchema } from './errors.ts'
import { instanceViewSchema, nameParam } from './instance-schemas.ts'
import { actor, json, router, userSecurity } from './router.ts'

/**
 * What the console's instance dialog needs besides CRUD: "Test connection" on the fields being
 * edited, and copying an instance (password included, which the console itself never sees).
 */
const base = { tags: ['instances'], security: userSecurity }

// The dialog sends its whole form; only the connection fields matter, the rest is ignored.
const testConnectionBody = instanceConfigSchema
  .pick({ kafkaBootstrap: true, topics: true, jdbcUrl: true, feHost: true, feHttpPort: true, userName: true })
  .extend({
    name: z.string().optional().describe('an existing instance whose stored password is used when passWord is left out'),
    passWord: z.string().optional(),
  })

const partSchema = saidSchema.extend({ ok: z.boolean() })
const testConnectionReply = z.object({
  ok: z.boolean(),
  kafka: partSchema.extend({ topics: z.array(z.object({ name: z.string(), exists: z.boolean(), partitions: z.number() })) }),
  mysql: partSchema,
  feHttp: partSchema,
})

const copyBody = z.object({ name: instanceConfigSchema.shape.name }).strict()

export function instanceDialogRoutes(opts: AdminOptions) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const app = router()

  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/instances/test-connection',
      summary: 'Check the Kafka bootstrap and topics, the StarRocks MySQL login and the FE HTTP port, each on its own',
      request: { body: { required: true, content: json(testConnectionBody) } },
      responses: { 200: { description: 'one result per part; ok is true when all are', content: json(testConnectionReply) }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { name, passWord, ...target } = c.req.valid('json')
      let password = passWord
      if (password === undefined) {
        const stored = name ? await store.getInstance(name) : null
        if (!stored) throw invalidInput([name ? fieldIssue('passWord', 'field.password_not_stored', { name }) : fieldIssue('passWord', 'field.password_required')])
        password = stored.config.passWord
      }
      const report = await checkConnections({ ...target, passWord: password })
      opts.log.info({ by: actor(c.get('principal')), instance: name, kafka: report.kafka.ok, mysql: report.mysql.ok, feHttp: report.feHttp.ok }, 'connection test')
      return c.json({ ok: report.kafka.ok && report.mysql.ok && report.feHttp.ok, ...report }, 200)
    },
  )

  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/instances/{name}/copy',
      summary: 'A stopped copy of the instance under a new name, with the same password',
      request: { params: nameParam, body: { required: true, content: json(copyBody) } },
      responses: { 201: { description: 'the copy', content: json(instanceViewSchema) }, ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param')
      const { name: copyName } = c.req.valid('json')
      const source = await store.getInstance(name)
      if (!source) throw notFound(`instance ${name}`)
      if (!(await store.createInstance({ ...source.config, name: copyName }))) throw conflict(`instance ${copyName} already exists`)
      opts.log.info({ by: actor(c.get('principal')), instance: copyName, from: name }, 'instance copied')
      return c.json((await store.viewInstance(copyName))!, 201)
    },
  )

  return app
}
