import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startLoaderWorker } from '../workers/loader-worker.ts'
import { jobWaiter } from './fetcher/job-waiter.ts'
import { startInstanceFetcher, type InstanceFetcher } from './fetcher/instance-fetcher.ts'
import { instanceActivity } from './instance-activity.ts'
import { instanceStore } from './instance-store.ts'
import { loadQueueName, type LoadJobData } from './load-job.ts'
import type { Logger } from './logger.ts'
import { redisKeys } from './redis-keys.ts'
import { secretBox } from './secret-box.ts'

/**
 * A consumer node: loader workers and/or fetchers for every instance whose desired state is
 * running. It reconciles against Redis on a timer, so starting, stopping or editing an instance
 * reaches the node without restarting it.
 */
export type ConsumerNodeOptions = {
  redisUrl: string
  prefix: string
  secretKey: Buffer
  log: Logger
  fetcher: boolean
  loader: boolean
  loaderConcurrency?: number
  reconcileMs?: number
}

export type ConsumerNode = { stop(): Promise<void> }

export async function startConsumerNode(opts: ConsumerNodeOptions): Promise<ConsumerNode> {
  // BullMQ needs maxRetriesPerRequest null: its blocking commands must wait out a Redis restart.
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null })
  const keys = redisKeys(opts.prefix)
  const store = instanceStore(redis, keys, secretBox(opts.secretKey))
  const activity = instanceActivity(redis, keys)
  const log = opts.log

  const worker = opts.loader
    ? startLoaderWorker({ connection: redis, keys, store, activity, log: log.child({ role: 'loader' }), concurrency: opts.loaderConcurrency })
    : null

  const queue = new Queue<LoadJobData>(loadQueueName, { connection: redis, prefix: keys.bullPrefix })
  const waiter = jobWaiter(queue, redis, keys)
  const fetchers = new Map<string, { version: number; fetcher: Promise<InstanceFetcher | null> }>()
  let stopping = false

  async function stopFetcher(name: string) {
    const entry = fetchers.get(name)
    fetchers.delete(name)
    await (await entry?.fetcher)?.stop()
  }

  async function reconcile() {
    const names = await store.listInstances()
    for (const name of fetchers.keys()) if (!names.includes(name)) await stopFetcher(name)
    for (const name of names) {
      const stored = await store.getInstance(name)
      const entry = fetchers.get(name)
      if (!stored || stored.desired !== 'running') {
        if (entry) await stopFetcher(name)
        continue
      }
      if (entry && entry.version === stored.version) continue
      if (entry) await stopFetcher(name)
      const fetcher = startInstanceFetcher(stored, { redis, keys, queue, waiter, log: log.child({ role: 'fetcher' }) }).catch(async (err: Error) => {
        log.error({ instance: name, err: err.message }, 'fetcher could not start; will try again')
        await activity.failing(name, `fetcher: ${err.message}`).catch(() => {})
        fetchers.delete(name)
        return null
      })
      fetchers.set(name, { version: stored.version, fetcher })
    }
  }

  let timer: NodeJS.Timeout | undefined
  async function tick() {
    try {
      await reconcile()
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reconcile failed')
    }
    if (!stopping) timer = setTimeout(tick, opts.reconcileMs ?? 2_000)
  }
  if (opts.fetcher) await tick()
  log.info({ fetcher: opts.fetcher, loader: opts.loader }, 'consumer node started')

  return {
    async stop() {
      stopping = true
      clearTimeout(timer)
      await Promise.all([...fetchers.keys()].map(stopFetcher))
      await waiter.close()
      await worker?.close()
      await queue.close()
      redis.disconnect()
      log.info('consumer node stopped')
    },
  }
}
