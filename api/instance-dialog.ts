import { createRoute, z } from '@hono/zod-openapi'
import { usesSasl, usesTls } from '../src/fetcher/kafka-client.ts'
import { instanceConfigSchema } from '../src/instances/config.ts'
import { checkConnections } from '../src/starrocks/connection-check.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import { passwordAgainIssue, passwordBoundFields, rebindingFields } from '../src/instances/secret-binding.ts'
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
  .pick({
    kafkaBootstrap: true,
    topics: true,
    topicPattern: true,
    kafkaSecurityProtocol: true,
    kafkaSaslMechanism: true,
    kafkaSaslUser: true,
    kafkaTlsCa: true,
    kafkaTlsCert: true,
    kafkaTlsVerifyHostname: true,
    jdbcUrl: true,
    feHost: true,
    feHttpPort: true,
    userName: true,
  })
  .extend({
    name: z.string().optional().describe('an existing instance whose stored secrets are used when left out (its StarRocks password only for the endpoints and user it was saved with, its Kafka ones only for the same brokers and SASL user)'),
    passWord: z.string().optional(),
    kafkaSaslPassword: z.string().optional(),
    kafkaTlsKey: z.string().optional(),
  })

const partSchema = saidSchema.extend({ ok: z.boolean() })
const testConnectionReply = z.object({
  ok: z.boolean(),
  kafka: partSchema.extend({ topics: z.array(z.object({ name: z.string(), exists: z.boolean(), partitions: z.number() })) }),
  mysql: partSchema,
  feHttp: partSchema,
})

// A copy may point elsewhere, but then the stored password does not come along: it must be given.
const copyBody = instanceConfigSchema
  .pick(Object.fromEntries(passwordBoundFields.map((f) => [f, true])) as { [K in (typeof passwordBoundFields)[number]]: true })
  .partial()
  .extend({ name: instanceConfigSchema.shape.name, passWord: z.string().optional() })
  .strict()

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
      const { name, passWord, kafkaSaslPassword, kafkaTlsKey, ...target } = c.req.valid('json')
      let password = passWord
      if (password === undefined) {
        const saved = name ? await store.viewInstance(name) : null
        if (!saved) throw invalidInput([name ? fieldIssue('passWord', 'field.password_not_stored', { name }) : fieldIssue('passWord', 'field.password_required')])
        const changed = rebindingFields(saved.config, target)
        if (changed.length > 0) throw invalidInput([passwordAgainIssue(changed)])
        password = (await store.getInstance(saved.config.name))!.config.passWord
      }
      const given = { kafkaSaslPassword, kafkaTlsKey }
      const { kept, issues } = name ? await store.kafkaSecretsFor(name, target, given) : { kept: {}, issues: [] }
      const kafkaSecrets = { kafkaSaslPassword: kafkaSaslPassword ?? kept.kafkaSaslPassword ?? '', kafkaTlsKey: kafkaTlsKey ?? kept.kafkaTlsKey ?? '' }
      if (issues.length === 0 && usesSasl(target) && kafkaSecrets.kafkaSaslPassword === '') issues.push(fieldIssue('kafkaSaslPassword', 'field.required_with', { with: target.kafkaSecurityProtocol }))
      if (issues.length === 0 && usesTls(target) && target.kafkaTlsCert !== '' && kafkaSecrets.kafkaTlsKey === '') issues.push(fieldIssue('kafkaTlsKey', 'field.required_with', { with: 'kafkaTlsCert' }))
      if (issues.length > 0) throw invalidInput(issues)
      const report = await checkConnections({ ...target, ...kafkaSecrets, passWord: password })
      opts.log.info({ by: actor(c.get('principal')), instance: name, kafka: report.kafka.ok, mysql: report.mysql.ok, feHttp: report.feHttp.ok }, 'connection test')
      return c.json({ ok: report.kafka.ok && report.mysql.ok && report.feHttp.ok, ...report }, 200)
    },
  )

  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/instances/{name}/copy',
      summary: 'A stopped copy of the instance under a new name; the stored password comes along only to the same endpoints and user, else passWord is required',
      request: { params: nameParam, body: { required: true, content: json(copyBody) } },
      responses: { 201: { description: 'the copy', content: json(instanceViewSchema) }, ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param')
      const { name: copyName, passWord, ...changes } = c.req.valid('json')
      const source = await store.getInstance(name)
      if (!source) throw notFound(`instance ${name}`)
      const config = { ...source.config, ...changes, name: copyName }
      const changed = rebindingFields(source.config, config)
      if (changed.length > 0 && passWord === undefined) throw invalidInput([passwordAgainIssue(changed)])
      if (!(await store.createInstance({ ...config, passWord: passWord ?? source.config.passWord }))) throw conflict(`instance ${copyName} already exists`)
      opts.log.info({ by: actor(c.get('principal')), instance: copyName, from: name }, 'instance copied')
      return c.json((await store.viewInstance(copyName))!, 201)
    },
  )

  return app
}
