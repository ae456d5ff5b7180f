import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { startStarRocksEmulator } from '../test/starrocks-emulator/index.ts'
import { committedOffsets } from '../test/harness/kafka-helpers.ts'
import { instanceFor, k2sUnderTest, mappingEnv } from '../test/harness/k2s-node.ts'
import { testPrefix } from '../test/harness/redis-server.ts'
import { cpuClock, redisMemorySampler, rssSampler } from './samplers.ts'
import { sourceDatabase } from './canal-stream.ts'

export type K2sRunResult = {
  workers: number
  ms: number
  cpuSeconds: number
  rssBaselineBytes: number
  peakRssBytes: number
  redisUsedMemoryBaseline: number
  redisUsedMemoryPeak: number
  loads: number
  loadedRows: number
  failedLoads: number
}

/**
 * One K2S node in this process (fetcher + `workers` loader workers) on a fresh instance, so a fresh
 * consumer group that starts from the earliest offset (E-C). Timed from startInstance until every
 * partition's committed offset is its end offset.
 */
export async function runK2s(opts: {
  kafka: string
  redisUrl: string
  topic: string
  ends: Map<number, bigint>
  workers: number
  targetDb: string
  tables: string[]
  timeoutMs: number
}): Promise<K2sRunResult> {
  const name = `bench-w${opts.workers}-${Date.now().toString(36)}`
  const prefix = testPrefix(name)
  // An emulator of its own: a later run would otherwise upsert into tables an earlier run filled,
  // and carry its heap, which made run order matter more than worker count.
  const emulator = await startStarRocksEmulator()
  await emulator.execute(`CREATE DATABASE ${opts.targetDb}`)
  for (const ddl of opts.tables) await emulator.execute(ddl)
  const k2s = await k2sUnderTest(opts.redisUrl, prefix)
  try {
    await k2s.store.saveMappingEnv(mappingEnv('bench', [{ sourceDatabase, sourceTable: '.*', targetDatabase: opts.targetDb }]))
    await k2s.store.saveInstance(instanceFor(emulator, {
      name,
      kafkaBootstrap: opts.kafka,
      topics: [opts.topic],
      mappingEnv: 'bench',
      consumerPolicy: 'E-C',
      commitBatch: 10_000,
      commitTimeout: 1_000,
      // Big batches on a busy shared CPU: a spurious timeout would only add retries to the numbers.
      loadTimeoutMs: 60_000,
    }))
    const loadsBefore = emulator.loads.length
    const rss = rssSampler()
    const redisMem = redisMemorySampler(k2s.redis)
    const cpu = cpuClock()
    const started = performance.now()
    await k2s.store.startInstance(name)
    await k2s.startNode({ fetcher: true, loader: true, loaderConcurrency: opts.workers })
    const groupId = `k2s-${name}`
    for (;;) {
      const committed = await committedOffsets(opts.kafka, groupId, opts.topic)
      if ([...opts.ends].every(([p, end]) => committed.get(p) === end)) break
      if (performance.now() - started > opts.timeoutMs) throw new Error(`${name}: not done after ${opts.timeoutMs} ms: ${JSON.stringify([...committed].map(([p, o]) => [p, String(o)]))}`)
      await sleep(100)
    }
    const ms = performance.now() - started
    const cpuSeconds = cpu()
    const [rssPeak, redisPeak] = [await rss.stop(), await redisMem.stop()]
    const loads = emulator.loads.slice(loadsBefore)
    const ok = loads.filter((l) => l.status === 'Success')
    return {
      workers: opts.workers,
      ms,
      cpuSeconds,
      rssBaselineBytes: rssPeak.first,
      peakRssBytes: rssPeak.peak,
      redisUsedMemoryBaseline: redisPeak.first,
      redisUsedMemoryPeak: redisPeak.peak,
      loads: ok.length,
      loadedRows: ok.reduce((s, l) => s + l.loadedRows, 0),
      failedLoads: loads.length - ok.length,
    }
  } finally {
    await k2s.store.stopInstance(name).catch(() => undefined)
    // Completed jobs keep their payloads in Redis for an hour; the next run starts without them.
    await dropKeys(k2s.redis, prefix)
    await k2s.close()
    await emulator.close()
  }
}

async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}
