import { createRoute, z } from '@hono/zod-openapi'
import type { PartitionLag } from '../src/observe/consumer-lag.ts'
import { instanceActivity } from '../src/instances/instance-activity.ts'
import type { instanceOverviews, OverviewMoment } from '../src/instances/instance-overview.ts'
import { instanceStore, type InstanceView } from '../src/instances/instance-store.ts'
import { schemaHolds } from '../src/instances/schema-holds.ts'
import { partitionSeconds } from '../src/observe/lag-record.ts'
import { logEntrySchema, recentLogs, recentLogsQuery } from '../src/observe/log-store.ts'
import type { AdminOptions } from './context.ts'
import { ApiError, conflict, errorResponses, fieldIssue, invalidInput, notFound, refusal } from './errors.ts'
import {
  desiredReplySchema,
  instanceCreateSchema,
  instanceStatusSchema,
  instanceSummarySchema,
  instanceUpdateSchema,
  instanceViewSchema,
  lagSchema,
  nameParam,
} from './instance-schemas.ts'
import { actor, json, router, userSecurity } from './router.ts'

/** Instances: create, read (never the password), update, delete when stopped, start, stop, status. */
const base = { tags: ['instances'], security: userSecurity }
// A caller of …/lag waits this long for Kafka, then gets the last answer marked stale, or a 502.
const lagWaitMs = 5_000

export function instanceRoutes(opts: AdminOptions, overviews: ReturnType<typeof instanceOverviews>) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const activity = instanceActivity(opts.redis, opts.keys)
  const holds = schemaHolds(opts.redis, opts.keys)
  const app = router()

  async function view(name: string) {
    const found = await store.viewInstance(name)
    if (!found) throw notFound(`instance ${name}`)
    return found
  }

  async function requireMappingEnv(name: string) {
    if (!(await store.getMappingEnv(name))) throw invalidInput([fieldIssue('mappingEnv', 'field.no_mapping_env', { name })])
  }

  async function liveStatus(found: InstanceView, moment: OverviewMoment) {
    const { partitions: _, ...live } = await overviews.overview(found, moment)
    return live
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances', summary: 'All instances with desired state, health and counters', responses: { 200: { description: 'instances', content: json(z.object({ instances: z.array(instanceSummarySchema) })) }, ...errorResponses(401) } }),
    async (c) => {
      const names = await store.listInstances()
      const views = (await Promise.all(names.map((name) => store.viewInstance(name)))).flatMap((v) => (v ? [v] : []))
      const moment = await overviews.moment()
      const instances = await Promise.all(
        views.map(async (found) => {
          const [{ stalledForMs: _, ...live }, held] = await Promise.all([liveStatus(found, moment), holds.held(found.config.name)])
          return { name: found.config.name, mappingEnv: found.config.mappingEnv, topics: found.config.topics, topicPattern: found.config.topicPattern, desired: found.desired, updatedAt: found.updatedAt, ...live, schemaHeld: held.length }
        }),
      )
      return c.json({ instances }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/instances', summary: 'Create an instance (stopped)', request: { body: { required: true, content: json(instanceCreateSchema) } }, responses: { 201: { description: 'created', content: json(instanceViewSchema) }, ...errorResponses(400, 401, 409) } }),
    async (c) => {
      const input = c.req.valid('json')
      await requireMappingEnv(input.mappingEnv)
      if (!(await store.createInstance(input))) throw conflict(`instance ${input.name} already exists`)
      opts.log.info({ by: actor(c.get('principal')), instance: input.name }, 'instance created')
      return c.json(await view(input.name), 201)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}', summary: 'One instance: config without the password', request: { params: nameParam }, responses: { 200: { description: 'the instance', content: json(instanceViewSchema) }, ...errorResponses(401, 404) } }),
    async (c) => c.json(await view(c.req.valid('param').name), 200),
  )

  app.openapi(
    createRoute({ ...base, method: 'put', path: '/api/instances/{name}', summary: 'Replace the config; leaving out passWord keeps the stored one', request: { params: nameParam, body: { required: true, content: json(instanceUpdateSchema) } }, responses: { 200: { description: 'updated', content: json(instanceViewSchema) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const input = c.req.valid('json')
      await view(name)
      if (input.name !== undefined && input.name !== name) throw invalidInput([fieldIssue('name', 'field.instance_rename')])
      await requireMappingEnv(input.mappingEnv)
      const { name: _, ...update } = input
      if (!(await store.updateInstance(name, update))) throw notFound(`instance ${name}`)
      opts.log.info({ by: actor(c.get('principal')), instance: name, passWordChanged: update.passWord !== undefined }, 'instance updated')
      return c.json(await view(name), 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/instances/{name}', summary: 'Delete a stopped instance (its quarantine stays)', request: { params: nameParam }, responses: { 200: { description: 'deleted', content: json(z.object({ deleted: z.string() })) }, ...errorResponses(401, 404, 409) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const outcome = await store.deleteInstance(name)
      if (outcome === 'missing') throw notFound(`instance ${name}`)
      if (outcome === 'running') throw conflict(`instance ${name} is running: stop it first`)
      await activity.forget(name)
      await holds.forget(name)
      opts.log.info({ by: actor(c.get('principal')), instance: name }, 'instance deleted')
      return c.json({ deleted: name }, 200)
    },
  )

  for (const verb of ['start', 'stop'] as const) {
    app.openapi(
      createRoute({ ...base, method: 'post', path: `/api/instances/{name}/${verb}`, summary: verb === 'start' ? 'Set the desired state to running (E-B/L-B reset once)' : 'Set the desired state to stopped', request: { params: nameParam }, responses: { 200: { description: 'desired state set', content: json(desiredReplySchema) }, ...errorResponses(401, 404) } }),
      async (c) => {
        const { name } = c.req.valid('param')
        await view(name)
        await (verb === 'start' ? store.startInstance(name) : store.stopInstance(name))
        opts.log.info({ by: actor(c.get('principal')), instance: name }, `instance ${verb}`)
        return c.json({ name, desired: (await view(name)).desired }, 200)
      },
    )
  }

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/status', summary: 'Health, counters and messages skipped per source table', request: { params: nameParam }, responses: { 200: { description: 'status', content: json(instanceStatusSchema) }, ...errorResponses(401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const found = await view(name)
      const [held, drift] = await Promise.all([holds.held(name), holds.drift(name)])
      return c.json({
        name,
        desired: found.desired,
        epoch: found.epoch,
        updatedAt: found.updatedAt,
        ...(await liveStatus(found, await overviews.moment())),
        skippedBySource: await activity.skippedBySource(name),
        schemaHeld: held.length,
        schema: { held, drift },
      }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/lag', summary: 'Per partition: messages behind (end minus committed offset, read from Kafka) and seconds behind (binlog time of the oldest message not loaded)', request: { params: nameParam }, responses: { 200: { description: 'lag', content: json(lagSchema) }, ...errorResponses(401, 404, 502) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      const found = await view(name)
      const { config } = found
      const [answer, record] = await Promise.all([overviews.askKafka(found, lagWaitMs), overviews.liveRecord(name)])
      // No answer at all in time: say so at once rather than hold the caller for Kafka's timeouts.
      if (!answer.lag) {
        const bootstrap = config.kafkaBootstrap
        throw answer.error ? refusal(502, 'kafka.lag_unreachable', { bootstrap, reason: answer.error }) : refusal(502, 'kafka.lag_timeout', { bootstrap, seconds: lagWaitMs / 1000 })
      }
      const now = Date.now()
      // Kafka's offsets are the truth here; the fetcher's record adds the binlog time, when it saw the same commit.
      const seconds = (p: PartitionLag) => {
        const seen = record?.partitions.find((r) => r.topic === p.topic && r.partition === p.partition && r.committed === p.committed)
        return BigInt(p.lag) <= 0n ? 0 : seen ? partitionSeconds({ lag: p.lag, oldestEs: seen.oldestEs }, now) : null
      }
      const asOf = answer.at === null ? null : new Date(answer.at).toISOString()
      return c.json({ name, stale: answer.stale, asOf, partitions: answer.lag.map((p) => ({ ...p, seconds: seconds(p) })) }, 200)
    },
  )

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/instances/{name}/logs', summary: 'Recent log lines naming the instance, from every node, newest first', request: { params: nameParam, query: recentLogsQuery }, responses: { 200: { description: 'log lines', content: json(z.object({ name: z.string(), logs: z.array(logEntrySchema) })) }, ...errorResponses(400, 401, 404) } }),
    async (c) => {
      const { name } = c.req.valid('param')
      await view(name)
      return c.json({ name, logs: await recentLogs(opts.redis, opts.keys, { instance: name }, c.req.valid('query')) }, 200)
    },
  )

  return app
}
