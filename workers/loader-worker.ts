import { DelayedError, Queue, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import type { InstanceActivity } from '../src/instances/instance-activity.ts'
import type { InstanceStore } from '../src/instances/instance-store.ts'
import { batchOrder } from '../src/jobs/batch-order.ts'
import { frameSocket } from '../src/jobs/frame-socket.ts'
import { decodePayload } from '../src/jobs/job-payload.ts'
import { loadQueueName, type LoadJobData, type LoadJobResult } from '../src/jobs/load-job.ts'
import type { Logger } from '../src/observe/logger.ts'
import type { RedisKeys } from '../src/redis-keys.ts'
import { loadBatch, type LoadContext } from './load-batch.ts'
import { closeLoadContext, createLoadContext } from './load-context.ts'

/**
 * A BullMQ worker that loads batches into StarRocks. Any number of them, on any node: all state
 * is in Redis and every job names its batch's payload frame. A failed job is retried with exponential backoff
 * for as long as it takes; its offset stays uncommitted meanwhile, and the instance says why.
 */
export type LoaderWorkerOptions = {
  connection: Redis
  keys: RedisKeys
  store: InstanceStore
  activity: InstanceActivity
  log: Logger
  concurrency?: number
  tableConcurrency?: number
}

export function startLoaderWorker(opts: LoaderWorkerOptions): Worker<LoadJobData, LoadJobResult> {
  const contexts = instanceContexts(opts)
  const frames = frameSocket(opts.connection)
  const queue = new Queue<LoadJobData>(loadQueueName, { connection: opts.connection, prefix: opts.keys.bullPrefix })
  const order = batchOrder(opts.connection, opts.keys, queue)
  const worker = new Worker<LoadJobData, LoadJobResult>(
    loadQueueName,
    async (job: Job<LoadJobData, LoadJobResult>, token?: string) => {
      const ctx = await contexts.get(job.data.instance)
      // Gone only if Redis lost it: the waiting fetcher then removes this job and cuts the batch again from Kafka.
      const frame = await frames.get(opts.keys.jobPayload(job.id!))
      if (!frame) throw new Error(`the messages of batch ${job.id} are gone from Redis; the fetcher cuts the batch again from Kafka`)
      // Built while the batch before it loads; loaded once that one is in StarRocks.
      const ready = job.data.previous
        ? async () => {
            if ((await order.whenPreviousLoaded(job.data)) !== 'go') throw new PreviousNotLoading()
          }
        : undefined
      let result: LoadJobResult
      try {
        result = await loadBatch({ ...job.data, messages: decodePayload(frame) }, ctx, { ready, loaded: () => order.loaded(job.data) })
      } catch (err) {
        if (!(err instanceof PreviousNotLoading)) throw err
        // The batch before is held, waiting or retrying later: the slot goes to other work, and this
        // job looks again after a while that grows with its age (not an attempt: nothing failed).
        await job.moveToDelayed(Date.now() + Math.min(30_000, Math.max(200, (Date.now() - job.timestamp) / 4)), token)
        throw new DelayedError()
      }
      await opts.activity.healthy(job.data.instance)
      return result
    },
    {
      connection: opts.connection,
      prefix: opts.keys.bullPrefix,
      concurrency: opts.concurrency ?? 4,
      // A worker that dies mid-job holds its lock this long; then another worker runs the job
      // again (safely: same labels). BullMQ's 30 s default would stall a failover for a minute.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      // Backoff bounds are read from the live instance config, so an operator can tune them mid-outage.
      settings: {
        backoffStrategy: async (attemptsMade, _type, _err, job) => {
          const config = await contexts.get((job?.data as LoadJobData).instance).then((c) => c.config, () => null)
          const base = config?.retryBackoffMs ?? 1_000
          return Math.min(base * 2 ** Math.min(attemptsMade - 1, 20), config?.retryBackoffMaxMs ?? 60_000)
        },
      },
    },
  )
  worker.on('failed', (job, err) => {
    if (!job) return
    opts.log.warn({ instance: job.data.instance, topic: job.data.topic, partition: job.data.partition, firstOffset: job.data.firstOffset, attempt: job.attemptsMade, err: err.message }, 'load failed, will retry')
    void opts.activity.failing(job.data.instance, err.message).catch(() => {})
  })
  worker.on('error', (err) => opts.log.error({ err: err.message }, 'loader worker error'))
  const close = worker.close.bind(worker)
  worker.close = async (force?: boolean) => {
    await close(force)
    order.close()
    frames.close()
    await queue.close()
    await contexts.closeAll()
  }
  return worker
}

/**
 * Quarantining writes a line per item, with the instance (so it shows in the instance's log as
 * well as the node's), what and where, and why: the operator reads it where they look first.
 */
function quarantineLogged(activity: InstanceActivity, log: Logger): InstanceActivity {
  return {
    ...activity,
    async quarantine(items) {
      await activity.quarantine(items)
      for (const item of items) {
        const { instance, topic, partition, firstOffset, lastOffset, table, rows, reason, id } = item
        log.warn({ instance, topic, partition, firstOffset, lastOffset, table, rows, reason, quarantineId: id }, item.payloadKind === 'raw' ? `quarantined an unreadable message: ${reason}` : `quarantined ${rows} ${rows === 1 ? 'row' : 'rows'} of ${table}: ${reason}`)
      }
    },
  }
}

class PreviousNotLoading extends Error {}

/**
 * One Stream Load client, schema cache and router per instance, rebuilt when the instance or its
 * mapping environment changes, so an edit reaches the next job without a restart.
 */
function instanceContexts(opts: LoaderWorkerOptions) {
  type Entry = { version: string | null; envText: string | null; ctx: LoadContext }
  const cache = new Map<string, Promise<Entry>>()
  const { connection: redis, keys } = opts

  async function build(name: string): Promise<Entry> {
    const version = await redis.hget(keys.instance(name), 'version')
    const stored = await opts.store.getInstance(name)
    if (!stored) throw new Error(`instance ${name} no longer exists`)
    const { config } = stored
    const envText = await redis.get(keys.mappingEnv(config.mappingEnv))
    const env = await opts.store.getMappingEnv(config.mappingEnv)
    if (!env) throw new Error(`mapping environment ${config.mappingEnv} of instance ${name} does not exist`)
    return { version, envText, ctx: createLoadContext(stored, env, quarantineLogged(opts.activity, opts.log), opts.tableConcurrency, opts.log, { redis, keys }) }
  }

  const dispose = ({ ctx }: Entry) => closeLoadContext(ctx)

  return {
    async get(name: string): Promise<LoadContext> {
      const hit = await cache.get(name)?.catch(() => undefined)
      const [version, envText] = await Promise.all([
        redis.hget(keys.instance(name), 'version'),
        hit ? redis.get(keys.mappingEnv(hit.ctx.config.mappingEnv)) : null,
      ])
      if (hit && hit.version === version && hit.envText === envText) return hit.ctx
      if (hit) void dispose(hit)
      const next = build(name)
      cache.set(name, next)
      next.catch(() => cache.delete(name))
      return (await next).ctx
    },
    async closeAll() {
      const entries = await Promise.all([...cache.values()].map((e) => e.catch(() => null)))
      await Promise.all(entries.map((e) => e && dispose(e)))
      cache.clear()
    },
  }
}
