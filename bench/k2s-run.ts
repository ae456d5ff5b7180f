import { setTimeout as sleep } from 'node:timers/promises'
import { testPrefix } from '../test/harness/redis-server.ts'
import { sourceDatabase } from './canal-stream.ts'
import { startEmulatorChild, type TableDigest } from './emulator-child.ts'
import { benchInstance, benchMappingEnv, startK2sCluster } from './k2s-cluster.ts'
import { untilCommitted } from './kafka-bench.ts'
import { benchProcesses, machineBusyMeter, processMeter, type ProcessUse } from './process-stats.ts'
import { redisMemorySampler } from './samplers.ts'

export type K2sRunResult = {
  workers: number
  ms: number
  processes: ProcessUse[]
  /** Share of the machine's CPU time that was busy during the drain, all processes. */
  machineBusy: number
  /** From startInstance to the first load that succeeded: node pick-up, group join, first batch. */
  firstLoadMs: number
  /** Rows per second once the first 20% of rows were in: the rate without start-up and warm-up. */
  steadyRowsPerSec: number
  redisUsedMemoryBaseline: number
  redisUsedMemoryPeak: number
  loads: number
  loadedRows: number
  failedLoads: number
  /** The digests of `digestTables` at the end, to check a peer left the same tables. */
  tables: TableDigest[]
}

/**
 * A backlog drain: K2S as separate processes (one fetcher node, `workers` loader nodes) and the
 * emulator in a process of its own, on a fresh instance, so a fresh consumer group that starts
 * from the earliest offset (E-C). Timed from startInstance until every partition's committed
 * offset is its end offset.
 */
export async function runK2s(opts: {
  kafka: string
  redisUrl: string
  topic: string
  ends: Map<number, bigint>
  workers: number
  loaderConcurrency: number
  targetDb: string
  tables: string[]
  timeoutMs: number
  digestTables?: string[]
}): Promise<K2sRunResult> {
  const name = `bench-w${opts.workers}-${Date.now().toString(36)}`
  // An emulator of its own: a later run would otherwise upsert into tables an earlier run filled.
  const emulator = await startEmulatorChild()
  await emulator.execute([`CREATE DATABASE ${opts.targetDb}`, ...opts.tables])
  const k2s = await startK2sCluster({ redisUrl: opts.redisUrl, prefix: testPrefix(name), loaders: opts.workers, loaderConcurrency: opts.loaderConcurrency })
  try {
    await k2s.store.saveMappingEnv(benchMappingEnv(sourceDatabase, opts.targetDb))
    await k2s.store.saveInstance(benchInstance(name, { kafka: opts.kafka, topic: opts.topic, feHttpPort: emulator.feHttpPort, mysqlPort: emulator.mysqlPort, commitBatch: 10_000, commitTimeout: 1_000 }))
    const usage = processMeter(benchProcesses(k2s, emulator.pid, opts))
    const busy = machineBusyMeter()
    const redisMem = redisMemorySampler(k2s.redis)
    const started = performance.now()
    const startedAt = Date.now()
    await k2s.store.startInstance(name)
    await untilCommitted({ kafka: opts.kafka, groupId: `k2s-${name}`, topic: opts.topic, ends: opts.ends, what: name, timeoutMs: opts.timeoutMs })
    const ms = performance.now() - started
    const processes = usage()
    const machineBusy = busy()
    const redisPeak = await redisMem.stop()
    await sleep(200) // the emulator's last load report
    const ok = emulator.loads.filter((l) => l.status === 'Success')
    return {
      workers: opts.workers,
      ms,
      processes,
      machineBusy,
      firstLoadMs: Math.min(...ok.map((l) => l.at)) - startedAt,
      steadyRowsPerSec: steadyRate(ok),
      redisUsedMemoryBaseline: redisPeak.first,
      redisUsedMemoryPeak: redisPeak.peak,
      loads: ok.length,
      loadedRows: ok.reduce((s, l) => s + l.loadedRows, 0),
      failedLoads: emulator.loads.length - ok.length,
      tables: await Promise.all((opts.digestTables ?? []).map((t) => emulator.digest(opts.targetDb, t))),
    }
  } finally {
    await k2s.store.stopInstance(name).catch(() => undefined)
    await k2s.stop()
    await emulator.close()
  }
}

/** Rows per second from the load that brought the total past 20% to the last load. */
function steadyRate(loads: { at: number; loadedRows: number }[]): number {
  const sorted = [...loads].sort((a, b) => a.at - b.at)
  const total = sorted.reduce((sum, l) => sum + l.loadedRows, 0)
  let loaded = 0
  for (const load of sorted) {
    loaded += load.loadedRows
    if (loaded < total * 0.2) continue
    const seconds = (sorted.at(-1)!.at - load.at) / 1000
    return seconds > 0 ? Math.round((total - loaded) / seconds) : NaN
  }
  return NaN
}
