import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startLoaderWorker } from '../workers/loader-worker.ts'
import type { InstanceConfig } from '../src/instances/config.ts'
import { jobWaiter } from '../src/fetcher/job-waiter.ts'
import { superviseFetcher, type FetcherSupervisor, type SupervisorTiming } from '../src/fetcher/fetcher-supervisor.ts'
import { fetcherReports } from '../src/instances/fetcher-report.ts'
import { instanceActivity } from '../src/instances/instance-activity.ts'
import { instanceLeases } from '../src/instances/instance-lease.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import { loadQueueName, type LoadJobData } from '../src/jobs/load-job.ts'
import type { Logger } from '../src/observe/logger.ts'
import { redisPresence, type NodePresence, type PresenceAnswer } from '../src/nodes/node-presence.ts'
import { nodeRegistry, type NodeInfo, type NodeStatus } from '../src/nodes/node-registry.ts'
import { redisKeys } from '../src/redis-keys.ts'
import { secretBox } from '../src/instances/secret-box.ts'

/**
 * A consumer node: loader workers and/or fetchers. Every tick it heartbeats, renews the leases of
 * the instances it runs, and claims running instances nobody holds when it is among the least
 * loaded eligible nodes. Starting, stopping or editing an instance reaches it without a restart,
 * at once: the instance store announces each change and a fetcher node ticks when it hears one.
 *
 * It runs nothing until it is registered: a node the admin refused (a wrong node token) or never
 * answered claims no instance and loads no batch, and one refused later stops what it runs.
 */
export type ConsumerNodeOptions = {
  redisUrl: string
  prefix: string
  secretKey: Buffer
  log: Logger
  node: Omit<NodeInfo, 'roles' | 'startedAt'>
  fetcher: boolean
  loader: boolean
  loaderConcurrency?: number
  /** An instance whose node is silent this long is taken over by another. */
  leaseMs?: number
  /** How the node announces itself; default: straight into the Redis registry. */
  presence?: NodePresence
  /** Tests shorten how fast a fetcher notices and reports trouble. */
  fetcherTiming?: Partial<SupervisorTiming>
}

export type ConsumerNode = {
  name: string
  /** Registered (accepted by the admin or the registry), so allowed to run instances and load batches. */
  registered(): boolean
  /** The instances whose fetcher runs here. */
  instances(): string[]
  stop(): Promise<void>
}

export async function startConsumerNode(opts: ConsumerNodeOptions): Promise<ConsumerNode> {
  // BullMQ needs maxRetriesPerRequest null: its blocking commands must wait out a Redis restart.
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null })
  const keys = redisKeys(opts.prefix)
  const leaseMs = opts.leaseMs ?? 15_000
  const store = instanceStore(redis, keys, secretBox(opts.secretKey))
  const activity = instanceActivity(redis, keys)
  const leases = instanceLeases(redis, keys, leaseMs)
  const registry = nodeRegistry(redis, keys, leaseMs)
  const presence = opts.presence ?? redisPresence(registry)
  const reports = fetcherReports(redis, keys)
  const me = opts.node.name
  const log = opts.log.child({ node: me })
  let registered = (await presence.register({ ...opts.node, roles: [...(opts.fetcher ? ['fetcher' as const] : []), ...(opts.loader ? ['loader' as const] : [])], startedAt: Date.now() })) === 'accepted'

  // Created on the first registration, paused while the node is refused.
  let worker: ReturnType<typeof startLoaderWorker> | null = null
  const loaderRuns = (yes: boolean) => {
    if (!opts.loader) return
    if (yes && !worker) worker = startLoaderWorker({ connection: redis, keys, store, activity, log: log.child({ role: 'loader' }), concurrency: opts.loaderConcurrency })
    else if (yes && worker?.isPaused()) worker.resume()
    else if (!yes && worker && !worker.isPaused()) void worker.pause().catch((err: Error) => log.error({ err: err.message }, 'could not pause the loader'))
  }
  loaderRuns(registered)

  const queue = new Queue<LoadJobData>(loadQueueName, { connection: redis, prefix: keys.bullPrefix })
  const waiter = jobWaiter(queue, redis, keys)
  const fetchers = new Map<string, { version: number; supervisor: FetcherSupervisor }>()
  /** Since when this node has seen a running instance nobody holds. */
  const unownedSince = new Map<string, number>()
  let stopping = false

  async function stopFetcher(name: string, release: boolean) {
    const entry = fetchers.get(name)
    fetchers.delete(name)
    await entry?.supervisor.stop()
    if (release) await leases.release(name, me)
  }

  // A fetcher that cannot start or crashes is tried again here, holding the lease: the instance
  // keeps one node and says why it waits (fetcher-supervisor.ts).
  function startFetcher(name: string, stored: NonNullable<Awaited<ReturnType<typeof store.getInstance>>>) {
    const supervisor = superviseFetcher(stored, { redis, keys, waiter, node: me, reports, activity, timing: opts.fetcherTiming, log: log.child({ role: 'fetcher' }) })
    fetchers.set(name, { version: stored.version, supervisor })
  }

  const eligible = (config: InstanceConfig, node: Pick<NodeStatus, 'name' | 'cluster'>) =>
    (config.pinNode === '' || config.pinNode === node.name) && (config.pinCluster === '' || config.pinCluster === node.cluster)

  async function reconcile() {
    const names = await store.listInstances()
    for (const name of fetchers.keys()) if (!names.includes(name)) await stopFetcher(name, true)
    const peers = (await registry.list()).filter((n) => n.online && n.roles.includes('fetcher'))
    for (const name of names) {
      const stored = await store.getInstance(name)
      const entry = fetchers.get(name)
      if (!stored || stored.desired !== 'running' || !eligible(stored.config, { name: me, cluster: opts.node.cluster })) {
        if (entry) await stopFetcher(name, true)
        continue
      }
      if (entry) {
        unownedSince.delete(name)
        if (!(await leases.renew(name, me))) {
          log.warn({ instance: name }, 'lease lost to another node; stopping the fetcher')
          await stopFetcher(name, false)
        } else if (entry.version !== stored.version) {
          await stopFetcher(name, false)
          startFetcher(name, stored)
        }
        continue
      }
      if (await leases.owner(name)) {
        unownedSince.delete(name)
        continue
      }
      // Least loaded first: leave the instance to an eligible peer that runs fewer, but only for
      // one lease period; a peer that keeps failing to start it must not starve it.
      const fewest = Math.min(fetchers.size, ...peers.filter((p) => p.name !== me && eligible(stored.config, p)).map((p) => p.instances.length))
      const waiting = unownedSince.get(name) ?? Date.now()
      unownedSince.set(name, waiting)
      if (fetchers.size > fewest && Date.now() - waiting < leaseMs) continue
      unownedSince.delete(name)
      if (await leases.claim(name, me)) {
        log.info({ instance: name }, 'instance claimed')
        startFetcher(name, stored)
      }
    }
  }

  /** Registration decides what runs: a refused node stops its fetchers and pauses its loader. */
  async function admitted(answer: PresenceAnswer): Promise<void> {
    const now = answer === 'accepted' || (registered && answer === 'unreachable')
    if (now === registered) return
    registered = now
    loaderRuns(now)
    if (!now) await Promise.all([...fetchers.keys()].map((name) => stopFetcher(name, true)))
  }

  async function reconcileAndHeartbeat() {
    try {
      if (opts.fetcher && registered) await reconcile()
      await admitted(await presence.heartbeat(me, [...fetchers.keys()]))
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reconcile failed')
    }
  }

  // The timer and the store's announcements both come through here: two reconciles at once would
  // stop and start the same fetchers over each other. A wake-up during a tick asks for exactly one
  // more right after it, however many arrive: that one reads everything they announced.
  let timer: NodeJS.Timeout | undefined
  let ticking: Promise<void> | undefined
  let again = false
  function tick(): Promise<void> {
    if (stopping) return Promise.resolve()
    if (ticking) {
      again = true
      return ticking
    }
    clearTimeout(timer)
    ticking = (async () => {
      do {
        again = false
        await reconcileAndHeartbeat()
      } while (again && !stopping)
      ticking = undefined
      if (!stopping) timer = setTimeout(tick, Math.max(100, Math.floor(leaseMs / 3)))
    })()
    return ticking
  }

  // Its own connection: one that subscribed can run no other command. The timer stays the
  // fallback, for announcements lost while this connection reconnects.
  const wakeups = opts.fetcher ? redis.duplicate() : null
  if (wakeups) {
    wakeups.on('message', () => void tick())
    await wakeups.subscribe(keys.instanceChanges)
  }
  await tick()
  log.info({ fetcher: opts.fetcher, loader: opts.loader }, 'consumer node started')

  return {
    name: me,
    registered: () => registered,
    instances: () => [...fetchers.keys()],
    async stop() {
      stopping = true
      clearTimeout(timer)
      wakeups?.disconnect()
      // A tick a wake-up started may be about to start a fetcher: let it finish before stopping them.
      await ticking
      await Promise.all([...fetchers.keys()].map((name) => stopFetcher(name, true)))
      await waiter.close()
      await worker?.close()
      await queue.close()
      await presence.stopped(me).catch(() => {})
      redis.disconnect()
      log.info('consumer node stopped')
    },
  }
}
