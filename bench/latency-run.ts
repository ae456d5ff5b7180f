import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel, CompressionTypes } from 'kafkajs'
import { createTopic, endOffsets } from '../test/harness/kafka-helpers.ts'
import { testPrefix } from '../test/harness/redis-server.ts'
import { canalMessages, sourceDatabase, type CanalMessage } from './canal-stream.ts'
import { startEmulatorChild } from './emulator-child.ts'
import { benchInstance, benchMappingEnv, startK2sCluster } from './k2s-cluster.ts'
import { untilCommitted } from './kafka-bench.ts'
import { benchProcesses, processMeter, type ProcessUse } from './process-stats.ts'

export type LatencyRunResult = {
  rate: number
  seconds: number
  commitTimeout: number
  rowsSent: number
  rowsMeasured: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  processes: ProcessUse[]
}

type Sent = { partition: number; offset: bigint; table: string; rows: number; at: number }

const tickMs = 20
// The consumer group's first join and the first batches are start-up, not steady state.
const warmupMs = 5_000

/**
 * Latency under a steady producer: canal messages at `rate` rows/s for `seconds`, each timed from
 * just before its send to the moment the emulator answered Success for the Stream Load that holds
 * its rows (found by the label, which names partition, offsets and table).
 */
export async function runLatency(opts: {
  kafka: string
  redisUrl: string
  partitions: number
  tables: number
  rate: number
  seconds: number
  workers: number
  loaderConcurrency: number
  targetDb: string
  tableDdl: string[]
}): Promise<LatencyRunResult> {
  const name = `bench-lat-${Date.now().toString(36)}`
  const topic = `bench-steady-${Date.now().toString(36)}`
  const commitTimeout = 1_000
  await createTopic(opts.kafka, topic, opts.partitions)
  const emulator = await startEmulatorChild()
  await emulator.execute([`CREATE DATABASE ${opts.targetDb}`, ...opts.tableDdl])
  const k2s = await startK2sCluster({ redisUrl: opts.redisUrl, prefix: testPrefix(name), loaders: opts.workers, loaderConcurrency: opts.loaderConcurrency })
  const producer = new Kafka({ clientId: 'k2s-bench-steady', brokers: [opts.kafka], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    await k2s.store.saveMappingEnv(benchMappingEnv(sourceDatabase, opts.targetDb))
    await k2s.store.saveInstance(benchInstance(name, { kafka: opts.kafka, topic, feHttpPort: emulator.feHttpPort, mysqlPort: emulator.mysqlPort, commitBatch: 10_000, commitTimeout }))
    await k2s.store.startInstance(name)
    const usage = processMeter(benchProcesses(k2s, emulator.pid, opts))

    const source = canalMessages({ partitions: opts.partitions, tables: opts.tables, seed: 7 })
    const sent: Sent[] = []
    let rowsSent = 0
    const started = Date.now()
    while (Date.now() - started < opts.seconds * 1_000) {
      const due = Math.floor(((Date.now() - started) / 1_000) * opts.rate)
      const chunk: CanalMessage[] = []
      let bytes = 0
      // Under the broker's 1 MB per partition batch; a producer that fell behind catches up over a few ticks.
      while (rowsSent < due && bytes < 800_000) {
        const m = source.next().value as CanalMessage
        chunk.push(m)
        rowsSent += m.rows
        bytes += m.value.length
      }
      if (chunk.length > 0) {
        const at = Date.now()
        const meta = await producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages: chunk.map(({ partition, value }) => ({ partition, value })) })
        // A send's messages for one partition get consecutive offsets from its base offset, in order.
        const next = new Map(meta.map((r) => [r.partition, BigInt(r.baseOffset!)]))
        for (const m of chunk) {
          const offset = next.get(m.partition)!
          next.set(m.partition, offset + 1n)
          sent.push({ partition: m.partition, offset, table: m.table, rows: m.rows, at })
        }
      }
      await sleep(tickMs)
    }
    const ends = await endOffsets(opts.kafka, topic)
    await untilCommitted({ kafka: opts.kafka, groupId: `k2s-${name}`, topic, ends, what: `${name}: the steady stream, 120 s after its end,`, timeoutMs: 120_000 })
    const processes = usage()
    await sleep(300) // the emulator's last load report
    const latencies = rowLatencies(sent.filter((s) => s.at - started >= warmupMs), emulator.loads.filter((l) => l.status === 'Success'), opts.targetDb)
    const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    return { rate: opts.rate, seconds: opts.seconds, commitTimeout, rowsSent, rowsMeasured: latencies.length, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: latencies.at(-1) ?? NaN, processes }
  } finally {
    await producer.disconnect()
    await k2s.store.stopInstance(name).catch(() => undefined)
    await k2s.stop()
    await emulator.close()
  }
}

/** One latency per row, sorted: each message's rows become visible with its table's load. */
function rowLatencies(sent: Sent[], loads: { label: string; at: number }[], db: string): number[] {
  // Label head: …-<partition>-<first>-<last>-<db>-<table>-<hash> (src/load-label.ts).
  const pattern = new RegExp(`-(\\d+)-(\\d+)-(\\d+)-${db}-(\\w+)-[0-9a-f]{20}$`)
  const byTable = new Map<string, { first: bigint; last: bigint; at: number }[]>()
  for (const load of loads) {
    const m = pattern.exec(load.label)
    if (!m) throw new Error(`cannot read partition and offsets from label ${load.label}`)
    const key = `${m[1]}/${m[4]}`
    const list = byTable.get(key) ?? []
    list.push({ first: BigInt(m[2]!), last: BigInt(m[3]!), at: load.at })
    byTable.set(key, list)
  }
  const out: number[] = []
  for (const s of sent) {
    const load = byTable.get(`${s.partition}/${s.table}`)?.find((l) => l.first <= s.offset && s.offset <= l.last)
    if (!load) throw new Error(`no load holds partition ${s.partition} offset ${s.offset} of ${s.table}`)
    for (let i = 0; i < s.rows; i++) out.push(load.at - s.at)
  }
  return out.sort((a, b) => a - b)
}
