import type { Admin } from 'kafkajs'
import { kafkaClient, type KafkaConnection } from '../fetcher/kafka-client.ts'
import { topicsToRead } from '../fetcher/topic-pattern.ts'

/**
 * How far an instance's consumer group is behind, per partition: the end offset minus the
 * committed one. Read from Kafka itself, so it is true even while no K2S node runs the instance.
 */
export type PartitionLag = { topic: string; partition: number; committed: string | null; end: string; lag: string }

/** An instance's Kafka connection and what it reads: a topic list or a pattern. */
export type KafkaReadTarget = KafkaConnection & { topics: string[]; topicPattern: string }

/**
 * A broker that accepts connections but never answers would hold kafkajs for its request timeout,
 * twice over with retries: the whole read is bounded by `timeoutMs` instead.
 */
export async function consumerLag(target: KafkaReadTarget, groupId: string, timeoutMs = 8_000): Promise<PartitionLag[]> {
  const admin = kafkaClient(target, { kind: 'probe', timeoutMs, retries: 2 }).admin()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Kafka at ${target.kafkaBootstrap} did not answer within ${timeoutMs / 1000} s`)), timeoutMs)
  })
  const read = async () => {
    await admin.connect()
    const topics = topicsToRead(target, target.topicPattern === '' ? [] : await admin.listTopics())
    return readLag(admin, groupId, topics)
  }
  try {
    return await Promise.race([read(), timeout])
  } finally {
    clearTimeout(timer)
    void admin.disconnect().catch(() => {})
  }
}

/** The same, over an admin client the caller keeps (the fetcher reads it every few seconds). */
export async function readLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics })
  const result: PartitionLag[] = []
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic)
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? []
    for (const { partition, high, low } of ends.sort((a, b) => a.partition - b.partition)) {
      const offset = mine.find((p) => p.partition === partition)?.offset
      const has = offset !== undefined && BigInt(offset) >= 0n
      // Nothing committed yet: everything still in the partition is behind.
      const from = has ? BigInt(offset!) : BigInt(low)
      result.push({ topic, partition, committed: has ? offset! : null, end: high, lag: String(BigInt(high) - from) })
    }
  }
  return result
}
