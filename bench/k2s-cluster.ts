import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { openSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { InstanceConfigInput, MappingEnvInput } from '../src/instances/config.ts'
import { instanceStore, type InstanceStore } from '../src/instances/instance-store.ts'
import { nodeRegistry } from '../src/nodes/node-registry.ts'
import { redisKeys } from '../src/redis-keys.ts'
import { secretBox } from '../src/instances/secret-box.ts'

/**
 * K2S as it runs in production: one `k2s node --no-loader` process (the fetcher) and `loaders`
 * `k2s node --no-fetcher` processes, on a Redis prefix of the run's own.
 */
export type K2sCluster = {
  store: InstanceStore
  redis: Redis
  prefix: string
  fetcherPid: number
  loaderPids: number[]
  stop(): Promise<void>
}

const root = fileURLToPath(new URL('..', import.meta.url))

/** What docker-compose.yml's worker service (the loaders) sets: glibc keeps freed memory for the next batch. */
const loaderGlibcTunables = /^\s+GLIBC_TUNABLES: (\S+)$/m.exec(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'))?.[1] ?? ''
/** The node flags of the image's ENTRYPOINT (`node <flags> dist/bin/main.js`), which every K2S role runs with. */
const imageNodeFlags = (JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))?.[1] ?? '[]') as string[])
  .filter((arg) => arg.startsWith('--'))

export async function startK2sCluster(opts: { redisUrl: string; prefix: string; loaders: number; loaderConcurrency: number }): Promise<K2sCluster> {
  const secretKey = randomBytes(32)
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null })
  const keys = redisKeys(opts.prefix)
  const children: ChildProcess[] = []
  const node = (name: string, args: string[]) => {
    // BENCH_CPU_PROF=<dir>: each K2S process writes a V8 CPU profile there when it stops.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${name}.cpuprofile`] : []
    // The image's node flags (BENCH_IMAGE_NODE_FLAGS='' runs without them, to compare), then
    // BENCH_NODE_FLAGS="--trace-gc …": more node flags for every K2S process.
    const words = (value: string | undefined) => value?.split(' ').filter(Boolean) ?? []
    const flags = [...(process.env.BENCH_IMAGE_NODE_FLAGS === undefined ? imageNodeFlags : words(process.env.BENCH_IMAGE_NODE_FLAGS)), ...words(process.env.BENCH_NODE_FLAGS)]
    // BENCH_LOG=<prefix>: each K2S process logs at debug level into <prefix>-<name>.log.
    const log = process.env.BENCH_LOG
    const loader = args.includes('--no-fetcher')
    // The compiled build, as production runs it (bench/run.ts builds it first).
    const child = spawn(process.execPath, [...profile, ...flags, 'dist/bin/main.js', 'node', ...args], {
      cwd: root,
      stdio: ['ignore', log ? openSync(`${log}-${name}.log`, 'w') : 'ignore', 'inherit'],
      env: {
        ...process.env,
        K2S_REDIS_URL: opts.redisUrl,
        K2S_REDIS_PREFIX: opts.prefix,
        K2S_SECRET_KEY: secretKey.toString('hex'),
        K2S_NODE_NAME: name,
        K2S_NODE_PORT: '0',
        // Nodes look for new work every third of a lease: a short lease keeps the start-up out of the numbers.
        K2S_LEASE_MS: '1500',
        K2S_LOG_LEVEL: log ? 'debug' : 'warn',
        // Loaders run with glibc's allocator set as docker-compose.yml's worker service sets it
        // (BENCH_GLIBC_TUNABLES='' runs them without, to compare).
        ...(loader ? { GLIBC_TUNABLES: process.env.BENCH_GLIBC_TUNABLES ?? loaderGlibcTunables } : {}),
      },
    })
    children.push(child)
    return child
  }
  const fetcher = node('fetcher', ['--no-loader'])
  const loaders = Array.from({ length: opts.loaders }, (_, i) => node(`loader-${i + 1}`, ['--no-fetcher', '--concurrency', String(opts.loaderConcurrency)]))
  // Timing starts once every process is up, so start-up is not counted.
  const registry = nodeRegistry(redis, keys, 1_500)
  const deadline = Date.now() + 60_000
  while ((await registry.list()).filter((n) => n.online).length < children.length) {
    if (Date.now() > deadline) throw new Error(`K2S processes did not all register within 60 s`)
    if (children.some((c) => c.exitCode !== null)) throw new Error('a K2S process exited during start-up')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    store: instanceStore(redis, keys, secretBox(secretKey)),
    redis,
    prefix: opts.prefix,
    fetcherPid: fetcher.pid!,
    loaderPids: loaders.map((l) => l.pid!),
    /** Stops every process and deletes the run's keys, so the next run starts without them. */
    async stop() {
      await Promise.all(children.map(async (c) => {
        if (c.exitCode !== null) return
        const exited = once(c, 'exit')
        c.kill('SIGTERM')
        // A graceful stop waits for the jobs in hand; a benchmark that failed must not wait forever.
        const kill = setTimeout(() => c.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(kill)
      }))
      await dropKeys(redis, opts.prefix)
      redis.disconnect()
    },
  }
}

async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (found.length > 0) await redis.unlink(...found)
    cursor = next
  } while (cursor !== '0')
}

export function benchInstance(name: string, fields: { kafka: string; topic: string; feHttpPort: number; mysqlPort: number; commitBatch: number; commitTimeout: number }): InstanceConfigInput {
  return {
    name,
    kafkaBootstrap: fields.kafka,
    topics: [fields.topic],
    mappingEnv: 'bench',
    jdbcUrl: `jdbc:mysql://127.0.0.1:${fields.mysqlPort}/`,
    feHost: '127.0.0.1',
    feHttpPort: fields.feHttpPort,
    userName: 'root',
    passWord: '',
    consumerPolicy: 'E-C',
    commitBatch: fields.commitBatch,
    commitTimeout: fields.commitTimeout,
    // Big batches on a busy shared CPU: a spurious timeout would only add retries to the numbers.
    loadTimeoutMs: 60_000,
  }
}

export const benchMappingEnv = (sourceDatabase: string, targetDatabase: string): MappingEnvInput => ({
  name: 'bench',
  rules: [{ sourceDatabase, sourceTable: '.*', targetDatabase }],
})
