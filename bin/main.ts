import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { ZodError } from 'zod'
import { instanceActivity } from '../src/instances/instance-activity.ts'
import { instanceOverviews } from '../src/instances/instance-overview.ts'
import { instanceStore, type InstanceView } from '../src/instances/instance-store.ts'
import { loadQueueName } from '../src/jobs/load-job.ts'
import { createLogger } from '../src/observe/logger.ts'
import { redisLogSink } from '../src/observe/log-store.ts'
import { logRing } from '../src/observe/log-ring.ts'
import { loadNodeConfig } from '../src/nodes/node-config.ts'
import { PortTakenError, serveNodeEndpoint, type NodeEndpoint } from '../src/nodes/node-endpoint.ts'
import { adminPresence, silentPresence } from '../src/nodes/node-presence.ts'
import { redisKeys } from '../src/redis-keys.ts'
import { loadSecretKey, secretBox } from '../src/instances/secret-box.ts'

const usage = `k2s — load canal change data from Kafka into StarRocks

  k2s all                          admin API + a consumer node with fetcher and loader roles
  k2s admin                        the admin API and Bull Board (stateless; run several if you like)
  k2s node [--no-fetcher] [--no-loader] [--concurrency N] [--config node.properties]
  k2s mapping list                 the table mapping environments, their rules and who uses them
  k2s mapping put FILE.json        create or replace a table mapping environment
  k2s mapping delete NAME          delete one no instance uses
  k2s instance list                every instance: desired and actual state, node, lag
  k2s instance put FILE.json       create or replace an instance
  k2s instance start|stop NAME
  k2s instance status NAME         state and why, counters, the loader's failure and quarantine of an instance
  k2s instance delete NAME         delete a stopped instance (its quarantine stays)

Environment: K2S_REDIS_URL (redis://127.0.0.1:6379), K2S_REDIS_PREFIX (k2s),
K2S_SECRET_KEY (64 hex chars; else a key file in K2S_HOME, default ~/.k2s), K2S_LOG_LEVEL (info),
K2S_NODE_NAME (<host>-<port>), K2S_CLUSTER (none), K2S_REGISTER_IP (detected), K2S_NODE_PORT (10002: the node answers GET /health and /logs there; 0 = any free port), K2S_NODE_HOST (0.0.0.0),
K2S_LEASE_MS (15000: a silent node's instances move to another node after this long), K2S_LOG_PATH,
K2S_ADMIN_MANAGER (register over the admin's API instead of Redis) with K2S_NODE_TOKEN, K2S_REGISTER_AUTO;
every one of them can come from --config FILE (examples/k2s-node.properties; canal.* keys work),
K2S_ADMIN_HOST (127.0.0.1; 0.0.0.0 for every interface; k2s.admin.host in --config), K2S_ADMIN_PORT (8080), K2S_ADMIN_USER (admin), K2S_ADMIN_PASSWORD
(else a generated one is printed once at the first start), K2S_NODE_TOKEN, K2S_ADMIN_SECURE_COOKIE,
K2S_METRICS_TOKEN (a bearer token for GET /metrics), K2S_METRICS_PUBLIC (true: /metrics needs no token),
K2S_TRUST_PROXY (true: behind a reverse proxy; X-Forwarded-For/-Host name the client and the site).`

const env = process.env
const home = env.K2S_HOME ?? join(homedir(), '.k2s')

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'all':
    case 'node':
    case 'admin':
      return run(command, rest)
    case 'mapping':
    case 'instance':
      return manage(command, rest)
    default:
      console.log(usage)
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
}

async function run(command: string, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'no-fetcher': { type: 'boolean' }, 'no-loader': { type: 'boolean' }, concurrency: { type: 'string' }, config: { type: 'string' } },
  })
  const config = loadNodeConfig(env, values.config)
  // The node's recent lines go to Redis too, for the console; on a connection of their own, so a
  // slow Redis never holds up a log call.
  const logRedis = command === 'admin' ? null : new Redis(config.redisUrl, { maxRetriesPerRequest: null })
  const logSink = logRedis && redisLogSink(logRedis, redisKeys(config.redisPrefix), config.name)
  // The node's newest lines in memory too, for its own port (GET /logs), Redis or not.
  const ring = command === 'admin' ? null : logRing()
  const log = createLogger('k2s', { file: config.logPath ? join(config.logPath, 'k2s.log') : undefined, streams: [...(logSink ? [logSink.stream] : []), ...(ring ? [ring.stream] : [])] })
  const secretKey = loadSecretKey(env, join(home, 'secret.key'))
  const { leaseMs } = config
  // The node's port answers health and log requests, so the port the console shows is a real one.
  let node: Awaited<ReturnType<typeof import('./consumer-node.ts').startConsumerNode>> | null = null
  const startedAt = Date.now()
  const roles = command === 'all' ? ['fetcher', 'loader'] : [...(values['no-fetcher'] ? [] : ['fetcher']), ...(values['no-loader'] ? [] : ['loader'])]
  let endpoint: NodeEndpoint | null = null
  if (ring) {
    try {
      endpoint = await serveNodeEndpoint({
        host: env.K2S_NODE_HOST ?? '0.0.0.0',
        port: config.port,
        token: config.nodeToken,
        logs: ring,
        health: () => ({ name: config.name, registered: node?.registered() ?? false, roles, instances: node?.instances() ?? [], startedAt, version: packageVersion() }),
      })
    } catch (err) {
      if (!(err instanceof PortTakenError)) throw err
      console.error(err.message)
      await logSink?.close()
      logRedis?.disconnect()
      return 2
    }
  }
  // Each role loads only its own libraries: the admin API's (Hono, Bull Board, OpenAPI) are about
  // 30 MB of a node process' RSS, and the data path's (kafkajs, BullMQ workers) are not the admin's.
  const serve = command === 'node' ? null : await import('../api/serve.ts')
  const admin = !serve
    ? null
    : await serve.startAdminServer({
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          secretKey,
          host: config.adminHost,
          port: Number(env.K2S_ADMIN_PORT ?? 8080),
          leaseMs,
          // `k2s all` registers its own node straight into Redis: it needs no node token.
          nodesRegisterOverHttp: command === 'admin',
          auth: {
            adminUser: env.K2S_ADMIN_USER,
            adminPassword: env.K2S_ADMIN_PASSWORD,
            nodeToken: env.K2S_NODE_TOKEN,
            secureCookie: env.K2S_ADMIN_SECURE_COOKIE === 'true',
            metricsToken: env.K2S_METRICS_TOKEN || undefined,
            metricsPublic: env.K2S_METRICS_PUBLIC === 'true',
            trustProxy: env.K2S_TRUST_PROXY === 'true',
          },
          log: log.child({ role: 'admin' }),
        }).catch((err: Error) => {
          if (!(err instanceof serve.AdminPortTakenError)) throw err
          console.error(err.message)
          return null
        })
  if (serve && !admin) {
    await endpoint?.close()
    await logSink?.close()
    logRedis?.disconnect()
    return 2
  }
  node =
    command === 'admin'
      ? null
      : await (await import('./consumer-node.ts')).startConsumerNode({
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          secretKey,
          log,
          node: { name: config.name, address: config.address, port: endpoint?.port ?? config.port, cluster: config.cluster, version: packageVersion() },
          leaseMs,
          presence: !config.registerAuto
            ? silentPresence
            : config.adminUrl
              ? adminPresence(config.adminUrl, config.nodeToken, log.child({ role: 'presence' }))
              : undefined,
          fetcher: command === 'all' || !values['no-fetcher'],
          loader: command === 'all' || !values['no-loader'],
          loaderConcurrency: values.concurrency ? Number(values.concurrency) : undefined,
        })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await node?.stop()
  await endpoint?.close()
  await admin?.close()
  await logSink?.close()
  logRedis?.disconnect()
  return 0
}

async function manage(kind: string, [verb, arg]: string[]): Promise<number> {
  // The same Redis and prefix the node and admin read, from the same defaults and variables.
  const { redisUrl, redisPrefix, leaseMs } = loadNodeConfig(env)
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 })
  const keys = redisKeys(redisPrefix)
  const store = instanceStore(redis, keys, secretBox(loadSecretKey(env, join(home, 'secret.key'))))
  const activity = instanceActivity(redis, keys)
  // The state and its reason as the console shows them, from the same code.
  const { Queue } = await import('bullmq')
  const queue = new Queue(loadQueueName, { connection: redis, prefix: keys.bullPrefix })
  const overviews = instanceOverviews(redis, keys, queue, leaseMs, (name) => store.kafkaConfig(name))
  const overview = async (view: InstanceView) => overviews.overview(view, await overviews.moment())
  try {
    if (verb !== 'list' && !arg) throw new Error(`${kind} ${verb ?? ''}: missing argument`)
    if (kind === 'mapping' && verb === 'list') {
      for (const name of await store.listMappingEnvs()) {
        const found = await store.getMappingEnv(name)
        const usedBy = await store.instancesUsing(name)
        if (found) console.log(`${name}\t${found.rules.length} rules\t${usedBy.length ? `used by ${usedBy.join(', ')}` : 'unused'}`)
      }
    } else if (kind === 'mapping' && verb === 'put') {
      const saved = await store.saveMappingEnv(JSON.parse(readFileSync(arg!, 'utf8')))
      console.log(`mapping environment ${saved.name}: ${saved.rules.length} rules`)
    } else if (kind === 'mapping' && verb === 'delete') {
      if (!(await store.getMappingEnv(arg!))) throw new Error(`no mapping environment ${arg}`)
      const usedBy = await store.instancesUsing(arg!)
      if (usedBy.length > 0) throw new Error(`mapping environment ${arg} is used by ${usedBy.join(', ')}: change or delete those instances first`)
      await store.deleteMappingEnv(arg!)
      console.log(`mapping environment ${arg} deleted`)
    } else if (kind === 'instance' && verb === 'list') {
      const rows = [['NAME', 'DESIRED', 'STATE', 'NODE', 'LAG', 'REASON']]
      for (const name of await store.listInstances()) {
        const view = await store.viewInstance(name)
        if (!view) continue
        const o = await overview(view)
        rows.push([name, view.desired, o.state, o.runningOn ?? '-', o.lag.messages === null ? '?' : String(o.lag.messages), o.reason || '-'])
      }
      console.log(columns(rows))
    } else if (kind === 'instance' && verb === 'put') {
      const input = JSON.parse(readFileSync(arg!, 'utf8'))
      if (!(await store.getMappingEnv(String(input.mappingEnv)))) throw new Error(`mapping environment ${input.mappingEnv} does not exist`)
      const saved = await store.saveInstance(input)
      console.log(`instance ${saved.name} saved (policy ${saved.consumerPolicy})`)
    } else if (kind === 'instance' && (verb === 'start' || verb === 'stop')) {
      if (!(await store.getInstance(arg!))) throw new Error(`no instance ${arg}`)
      await (verb === 'start' ? store.startInstance(arg!) : store.stopInstance(arg!))
      console.log(`instance ${arg}: desired state ${verb === 'start' ? 'running' : 'stopped'}`)
    } else if (kind === 'instance' && verb === 'status') {
      const view = await store.viewInstance(arg!)
      if (!view) throw new Error(`no instance ${arg}`)
      const o = await overview(view)
      const quarantined = await activity.quarantined(arg!)
      console.log(JSON.stringify({
        desired: view.desired,
        state: o.state,
        reason: o.reason,
        runningOn: o.runningOn,
        lag: o.lag,
        // The loader's failure matters while it runs; a stopped instance's last one is history.
        ...(view.desired === 'running' ? { health: o.health } : {}),
        counters: o.counters,
        skippedBySource: await activity.skippedBySource(arg!),
        quarantine: quarantined.map(({ payload: _, ...item }) => item),
      }, null, 2))
    } else if (kind === 'instance' && verb === 'delete') {
      const outcome = await store.deleteInstance(arg!)
      if (outcome === 'missing') throw new Error(`no instance ${arg}`)
      if (outcome === 'running') throw new Error(`instance ${arg} is running: stop it first (k2s instance stop ${arg})`)
      await activity.forget(arg!)
      console.log(`instance ${arg} deleted (its quarantine stays)`)
    } else {
      throw new Error(`unknown command: ${kind} ${verb ?? ''}; see k2s help`)
    }
    return 0
  } catch (err) {
    if (err instanceof ZodError) {
      for (const issue of err.issues) console.error(`${issue.path.join('.') || '(input)'}: ${issue.message}`)
    } else {
      console.error((err as Error).message)
    }
    return 1
  } finally {
    await queue.close()
    redis.disconnect()
  }
}

/** Rows as aligned columns, the way `kubectl get` prints them. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('')).join('\n')
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (err) {
  // Bad configuration is the operator's to fix: name the key, skip the stack trace.
  if (!(err instanceof ZodError)) throw err
  for (const issue of err.issues) console.error(`${issue.path.join('.') || '(config)'}: ${issue.message}`)
  process.exitCode = 2
}
