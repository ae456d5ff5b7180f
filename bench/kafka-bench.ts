import { setTimeout as sleep } from 'node:timers/promises'
import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { committedOffsets, type TestMessage } from '../test/harness/kafka-helpers.ts'

/**
 * Polls a group's committed offsets until every partition's is its end offset: a drain is done once
 * its rows are in StarRocks and committed. `onPoll` sees each poll's offsets (and may throw to stop).
 */
export async function untilCommitted(opts: {
  kafka: string
  groupId: string
  topic: string
  ends: Map<number, bigint>
  /** Names the run in the error when `timeoutMs` passes first. */
  what: string
  timeoutMs?: number
  everyMs?: number
  onPoll?: (committed: Map<number, bigint | null>) => void
}): Promise<void> {
  const deadline = performance.now() + (opts.timeoutMs ?? Infinity)
  for (;;) {
    const committed = await committedOffsets(opts.kafka, opts.groupId, opts.topic)
    opts.onPoll?.(committed)
    if ([...opts.ends].every(([p, end]) => committed.get(p) === end)) return
    if (performance.now() > deadline) throw new Error(`${opts.what}: not done after ${opts.timeoutMs} ms: ${JSON.stringify([...committed].map(([p, o]) => [p, String(o)]))}`)
    await sleep(opts.everyMs ?? 100)
  }
}

/** Writes `messages` in ~1.5 MB sends, each exactly once: setup, not what is measured. */
export async function produceFast(bootstrap: string, topic: string, messages: TestMessage[]): Promise<number> {
  const kafka = new Kafka({ clientId: 'k2s-bench-producer', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  // Idempotent: a send kafkajs retries after a timeout (a busy machine) must not write its messages twice.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const started = performance.now()
  try {
    let chunk: TestMessage[] = []
    let size = 0
    const perPartition = new Map<number, number>()
    // One send at a time: kafkajs' idempotent producer breaks its sequence numbers with concurrent sends.
    const flush = async () => {
      if (chunk.length === 0) return
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: chunk })
      chunk = []
      size = 0
      perPartition.clear()
    }
    for (const m of messages) {
      chunk.push(m)
      const bytes = (m.value as string).length
      size += bytes
      const partitionBytes = (perPartition.get(m.partition ?? 0) ?? 0) + bytes
      perPartition.set(m.partition ?? 0, partitionBytes)
      // The broker refuses a record batch over message.max.bytes (1 MB); one send holds a batch per partition.
      if (size >= 1_500_000 || partitionBytes >= 900_000) await flush()
    }
    await flush()
  } finally {
    await producer.disconnect()
  }
  return performance.now() - started
}

/**
 * The ceiling: a kafkajs consumer in a new group with the fetcher's settings that reads the topic
 * and does nothing with the messages. Timed from run() (group join included, as for K2S).
 */
export async function rawRead(bootstrap: string, topic: string, expectedMessages: number): Promise<{ ms: number; firstBatchMs: number; messages: number }> {
  const kafka = new Kafka({ clientId: 'k2s-bench-raw', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `k2s-bench-raw-${Date.now()}`, sessionTimeout: 10_000, maxWaitTimeInMs: 500, allowAutoTopicCreation: false })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let seen = 0
  let firstBatchAt = 0
  const started = performance.now()
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        firstBatchAt ||= performance.now()
        seen += batch.messages.length
        if (seen >= expectedMessages) resolve()
      },
    })
  })
  await done
  const ms = performance.now() - started
  await consumer.disconnect()
  return { ms, firstBatchMs: firstBatchAt - started, messages: seen }
}
