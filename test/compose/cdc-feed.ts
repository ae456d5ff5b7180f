import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel, type Admin, type ISocketFactory, type Producer } from 'kafkajs'
import { replay, type Expected } from '../fault/oracle.ts'
import { generateStream, type StreamMessage } from '../fault/stream.ts'

/**
 * canal's side of the compose test: one topic fed, from the host, with a seeded stream of flat
 * messages (test/fault/stream.ts: Primary Key and Duplicate Key tables, inserts, updates that
 * change the key, deletes) at a steady pace while faults happen. What was produced so far is a
 * prefix of the stream, and the oracle's replay of that prefix is what StarRocks must hold.
 *
 * The broker advertises itself as `kafka:9092`, a name only the compose networks resolve; the
 * host's clients connect to the container's address instead (socketFactory).
 */
export type CdcFeed = ReturnType<typeof cdcFeed>

export type FeedOptions = {
  /** Container name → address, for the names the broker advertises. */
  hosts: Record<string, string>
  bootstrap: string
  topic: string
  /** The K2S instance reading the topic: its consumer group is `k2s-<instance>`. */
  instance: string
  db: string
  partitions: number
  seed: number
  /** Row changes generated up front; feeding stops early (and says so) if they run out. */
  rows: number
  /** Messages sent per tick, and the tick. */
  perTick: number
  tickMs: number
}

export function cdcFeed(opts: FeedOptions) {
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host: opts.hosts[host] ?? host, port }, onConnect)
    socket.setKeepAlive(true, 10_000)
    return socket
  }
  const kafka = new Kafka({ clientId: 'k2s-compose-test', brokers: [opts.bootstrap], socketFactory, logLevel: logLevel.NOTHING })
  const messages: StreamMessage[] = generateStream({ seed: opts.seed, db: opts.db, rows: opts.rows, partitions: opts.partitions })
  let produced = 0
  let producer: Producer | undefined
  let admin: Admin | undefined

  async function send(count: number): Promise<number> {
    const batch = messages.slice(produced, produced + count)
    if (batch.length === 0) return 0
    // Idempotent, one request in flight: a retried send never writes a message twice, and each
    // partition keeps the stream's order, which the oracle's replay assumes.
    producer ??= kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
    await producer.connect()
    await producer.send({ topic: opts.topic, acks: -1, messages: batch.map(({ partition, value }) => ({ partition, value })) })
    produced += batch.length
    return batch.length
  }

  async function offsets(): Promise<{ end: Map<number, bigint>; committed: Map<number, bigint | null> }> {
    admin ??= kafka.admin()
    await admin.connect()
    const [ends, [group]] = await Promise.all([admin.fetchTopicOffsets(opts.topic), admin.fetchOffsets({ groupId: `k2s-${opts.instance}`, topics: [opts.topic] })])
    return {
      end: new Map(ends.map((p) => [p.partition, BigInt(p.high)])),
      committed: new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset) < 0n ? null : BigInt(p.offset)])),
    }
  }

  return {
    topic: opts.topic,
    db: opts.db,
    async createTopic(): Promise<void> {
      admin ??= kafka.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: opts.topic, numPartitions: opts.partitions, replicationFactor: 1 }], waitForLeaders: true })
    },
    send,
    /** Messages produced so far, and the row changes they carry. */
    produced: () => ({ messages: produced, rows: messages.slice(0, produced).reduce((n, m) => n + m.rows, 0) }),
    /**
     * Sends `perTick` messages every `tickMs` until `stop()`, which resolves once the last send is
     * acknowledged. A send that fails (a broker hiccup) fails the flow: the test must know.
     */
    flow() {
      let flowing = true
      let exhausted = false
      const done = (async () => {
        while (flowing) {
          const t0 = Date.now()
          if ((await send(opts.perTick)) === 0) {
            exhausted = true
            return
          }
          await sleep(Math.max(0, opts.tickMs - (Date.now() - t0)))
        }
      })()
      return {
        async stop(): Promise<{ exhausted: boolean }> {
          flowing = false
          await done
          return { exhausted }
        },
      }
    },
    /** What StarRocks must hold once everything produced so far is loaded. */
    expected(): Expected {
      return replay(opts.db, messages.slice(0, produced))
    },
    /** Kafka holds exactly the messages produced per partition: no send was lost or written twice. */
    async kafkaHoldsWhatWasSent(): Promise<string | null> {
      const { end } = await offsets()
      const sent = new Map<number, bigint>()
      for (const m of messages.slice(0, produced)) sent.set(m.partition, (sent.get(m.partition) ?? 0n) + 1n)
      const wrong = [...end].filter(([p, n]) => n !== (sent.get(p) ?? 0n))
      return wrong.length === 0 ? null : `Kafka holds ${wrong.map(([p, n]) => `${n} in partition ${p}`).join(', ')}; sent ${wrong.map(([p]) => sent.get(p) ?? 0n).join(', ')}`
    },
    /** Every partition's committed offset of the instance's consumer group is its end offset. */
    async allCommitted(): Promise<boolean> {
      const { end, committed } = await offsets()
      return [...end].every(([p, n]) => n === 0n || committed.get(p) === n)
    },
    async close(): Promise<void> {
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()])
    },
  }
}
