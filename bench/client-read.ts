// `node --import tsx bench/client-read.ts [--rows=200000 --partitions=4 --rounds=3] [--confluent=<dir>]`:
// the Kafka client evaluation of docs/benchmarks.md. One broker of its own, the benchmark's canal
// stream, then the raw read (a new group reads the whole topic and does nothing with the messages,
// timed from the call that joins the group) with kafkajs and @platformatic/kafka, in alternating
// order, `--rounds` times; then each client reads a topic while the broker is stopped for 8 s and
// started again, and must still read every message. `--confluent` names an installed
// @confluentinc/kafka-javascript (its KafkaJS-compatible API) to measure as well.
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { Consumer, MessagesStreamModes } from '@platformatic/kafka'
import { createTopic } from '../test/harness/kafka-helpers.ts'
import { startKafkaBroker, type KafkaBroker } from '../test/harness/kafka-broker.ts'
import { canalStream } from './canal-stream.ts'
import { produceFast, rawRead } from './kafka-bench.ts'

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
const rows = Number(arg('rows') ?? 200_000)
const partitions = Number(arg('partitions') ?? 4)
const rounds = Number(arg('rounds') ?? 3)
const confluentDir = arg('confluent')

type Read = (bootstrap: string, topic: string, expected: number) => Promise<{ ms: number; messages: number }>

async function platformaticRead(bootstrap: string, topic: string, expected: number): Promise<{ ms: number; messages: number }> {
  // The fetcher's settings where they exist: 10 s session, a short fetch wait.
  const consumer = new Consumer({ groupId: `k2s-bench-plt-${Date.now()}`, clientId: 'k2s-bench-plt', bootstrapBrokers: [bootstrap], sessionTimeout: 10_000, heartbeatInterval: 3_000, maxWaitTime: 500, retries: 30, retryDelay: 500 })
  const started = performance.now()
  let seen = 0
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => {
      if (++seen >= expected) resolve()
    })
    stream.on('error', reject)
  })
  const ms = performance.now() - started
  await consumer.close(true)
  return { ms, messages: seen }
}

function confluentRead(dir: string): Read {
  const { KafkaJS } = createRequire(import.meta.url)(dir) as { KafkaJS: { Kafka: new (c: object) => any } }
  return async (bootstrap, topic, expected) => {
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: [bootstrap], logLevel: 0 } })
    const consumer = kafka.consumer({ kafkaJS: { groupId: `k2s-bench-cfl-${Date.now()}`, fromBeginning: true, sessionTimeout: 10_000, maxWaitTimeInMs: 500 } })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic] })
    const started = performance.now()
    let seen = 0
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => {
          seen += batch.messages.length
          if (seen >= expected) resolve()
        },
      })
    })
    const ms = performance.now() - started
    await consumer.disconnect()
    return { ms, messages: seen }
  }
}

const clients: [string, Read][] = [
  ['kafkajs 2.2.4', rawRead],
  ['@platformatic/kafka 1.35.0', platformaticRead],
  ...(confluentDir ? [['@confluentinc/kafka-javascript', confluentRead(confluentDir)] as [string, Read]] : []),
]

let broker: KafkaBroker | undefined
try {
  broker = await startKafkaBroker()
  const stream = canalStream({ rows, partitions, tables: 20 })
  const topic = 'client-eval'
  await createTopic(broker.bootstrap, topic, partitions)
  await produceFast(broker.bootstrap, topic, stream.messages)
  const count = stream.messages.length
  console.log(`${count} messages, ${stream.rows} rows, ${(stream.bytes / 1024 / 1024).toFixed(1)} MB in ${partitions} partitions`)
  const results = new Map<string, number[]>()
  for (let round = 0; round < rounds; round++) {
    // Each round starts with the next client, so none always runs on a warmer machine.
    const order = clients.map((_, i) => clients[(i + round) % clients.length]!)
    for (const [name, read] of order) {
      const r = await read(broker.bootstrap, topic, count)
      if (r.messages < count) throw new Error(`${name} read ${r.messages} of ${count}`)
      results.set(name, [...(results.get(name) ?? []), r.ms])
      console.log(`round ${round + 1} ${name}: ${(r.ms / 1000).toFixed(2)} s, ${Math.round(stream.rows / (r.ms / 1000))} rows/s`)
    }
  }
  for (const [name, ms] of results) {
    const sorted = [...ms].sort((a, b) => a - b)
    console.log(`raw read ${name}: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s = ${Math.round(stream.rows / (sorted[Math.floor(sorted.length / 2)]! / 1000))} rows/s (runs ${ms.map((m) => (m / 1000).toFixed(2)).join(', ')})`)
  }

  // A broker restart mid-read: each client must read every message of a fresh topic anyway.
  for (const [name, read] of clients) {
    const restartTopic = `client-eval-restart-${name.replace(/\W+/g, '-')}`
    await createTopic(broker.bootstrap, restartTopic, partitions)
    await produceFast(broker.bootstrap, restartTopic, canalStream({ rows: Math.min(rows, 50_000), partitions, tables: 20, seed: 7 }).messages)
    const expected = canalStream({ rows: Math.min(rows, 50_000), partitions, tables: 20, seed: 7 }).messages.length
    const reading = read(broker.bootstrap, restartTopic, expected).then(
      (r) => `read ${r.messages} messages (${expected} in the topic; more: re-read after the rejoin, nothing being committed)`,
      (err: Error) => `failed: ${err.message}`,
    )
    await sleep(300)
    await broker.stop()
    await sleep(8_000)
    await broker.start()
    const outcome = await Promise.race([reading, sleep(120_000).then(() => 'did not finish within 120 s of the restart')])
    console.log(`broker restart during the read, ${name}: ${outcome}`)
  }
} finally {
  await broker?.close()
  // Clients that never finished keep timers alive.
  setTimeout(() => process.exit(0), 1_000).unref()
}
