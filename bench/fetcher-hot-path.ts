// The fetcher's CPU per row, in-process. A fetcher is one process per instance and cannot be
// scaled out like loaders, so its cost per row bounds an instance's throughput. Measured against
// a bare kafkajs consumer reading the same topic; the fetcher's jobs "complete" at once, so only
// its own work counts: fetch decode, row count, batching, the payload frame, ranges and commits.
//   node --import tsx bench/fetcher-hot-path.ts [--rows=200000] [--partitions=4] [--profile=fetcher.cpuprofile]
// --profile writes a V8 CPU profile of the fetcher's run alone.
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { instanceConfigSchema } from '../src/instances/config.ts'
import type { JobWaiter } from '../src/fetcher/job-waiter.ts'
import { startInstanceFetcher } from '../src/fetcher/instance-fetcher.ts'
import { redisKeys } from '../src/redis-keys.ts'
import { testKafkaBootstrap } from '../test/harness/kafka-broker.ts'
import { createTopic, endOffsets } from '../test/harness/kafka-helpers.ts'
import { testPrefix, testRedisUrl } from '../test/harness/redis-server.ts'
import { canalStream } from './canal-stream.ts'
import { benchInstance } from './k2s-cluster.ts'
import { produceFast, rawRead, untilCommitted } from './kafka-bench.ts'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, partitions: { type: 'string', default: '4' }, profile: { type: 'string' } } })
const [kafka, redisUrl] = await Promise.all([testKafkaBootstrap(), testRedisUrl()])
const stream = canalStream({ rows: Number(values.rows), partitions: Number(values.partitions), tables: 20 })
const topic = `bench-fetcher-${Date.now().toString(36)}`
await createTopic(kafka, topic, Number(values.partitions))
await produceFast(kafka, topic, stream.messages)
const ends = await endOffsets(kafka, topic)
const messageCount = stream.messages.length
stream.messages.length = 0

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}
const report = (name: string, wallMs: number, cpu: number) =>
  console.log(`${name.padEnd(28)} ${(wallMs / 1000).toFixed(2).padStart(6)} s wall  ${((cpu * 1000) / stream.rows).toFixed(2).padStart(6)} µs CPU/row  ${Math.round(stream.rows / (wallMs / 1000)).toString().padStart(7)} rows/s`)
console.log(`${stream.rows} rows, ${messageCount} messages, ${(stream.bytes / 1e6).toFixed(1)} MB, ${values.partitions} partitions`)

let cpu = process.cpuUsage()
const raw = await rawRead(kafka, topic, messageCount)
report('bare kafkajs read', raw.ms, cpuMs(cpu))

const redis = new Redis(redisUrl)
const keys = redisKeys(testPrefix('fetcher-bench'))
const name = `fetcher-bench-${Date.now().toString(36)}`
await redis.set(keys.owner(name), 'bench-node')
let jobs = 0
const remaining = new Set(ends.keys())
let allCut: () => void = () => {}
const cut = new Promise<void>((resolve) => (allCut = resolve))
// Jobs "complete" as soon as they are queued: only the fetcher's own work is timed.
const waiter: JobWaiter = {
  async put() {},
  async enqueue(job) {
    jobs++
    if (BigInt(job.lastOffset) + 1n === ends.get(job.partition)) remaining.delete(job.partition)
    if (remaining.size === 0) allCut()
  },
  async completion() {
    return 'completed'
  },
  async remove() {},
  async forget() {},
  async close() {},
}
const config = instanceConfigSchema.parse(benchInstance(name, { kafka, topic, feHttpPort: 8030, mysqlPort: 9030, commitBatch: 10_000, commitTimeout: 1_000 }))
const profiler = values.profile ? new Session() : null
profiler?.connect()
await profiler?.post('Profiler.enable')
await profiler?.post('Profiler.start')
cpu = process.cpuUsage()
const started = performance.now()
const fetcher = await startInstanceFetcher(
  { config, desired: 'running', epoch: 0, resetPending: false, version: 1, startedAt: Date.now(), updatedAt: null },
  { redis, keys, waiter, node: 'bench-node', onCrash: (err) => console.error('fetcher crashed', err), onTopicsChanged: () => {}, log: pino({ level: 'warn' }) },
)
// Polled only once every batch was handed over: each poll is a Kafka client of its own, whose CPU
// would count as the fetcher's.
await cut
await untilCommitted({ kafka, groupId: `k2s-${name}`, topic, ends, what: name, everyMs: 50 })
report(`K2S fetcher (${jobs} batches)`, performance.now() - started, cpuMs(cpu))
if (profiler) await writeFile(values.profile!, JSON.stringify((await profiler.post('Profiler.stop')).profile))
await fetcher.stop()
redis.disconnect()
process.exit(0)
