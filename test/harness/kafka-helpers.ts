import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, logLevel, type Admin, type KafkaJSError, type Producer } from 'kafkajs';

/** A message for `produce`; without `partition`, kafkajs' default partitioner picks one. */
export interface TestMessage {
  partition?: number;
  key?: string;
  value: string | Buffer | null;
}

/** Where `produce` wrote a message. */
export interface ProducedOffset {
  partition: number;
  offset: bigint;
}

/** Creates a topic with one replica and waits until its partitions have leaders; `configs`: topic settings. */
export async function createTopic(bootstrap: string, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
  const created = await call(bootstrap, ({ admin }) =>
    admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: false }),
  );
  if (!created) throw new Error(`topic ${topic} already exists`);
  // Waited for here, not by kafkajs' waitForLeaders: on a busy machine its poll meets
  // UNKNOWN_TOPIC_OR_PARTITION from a timer, where the rejection is unhandled and ends the process.
  const deadline = Date.now() + readRetryMs;
  for (;;) {
    const metadata = await read(bootstrap, ({ admin }) => admin.fetchTopicMetadata({ topics: [topic] })).catch(() => null);
    const found = metadata?.topics.find((t) => t.name === topic)?.partitions ?? [];
    if (found.length === partitions && found.every((p) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions without a leader after ${readRetryMs} ms`);
    await sleep(100);
  }
}

/** Deletes `topic` and waits until the broker no longer lists it. */
export async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  await call(bootstrap, ({ admin }) => admin.deleteTopics({ topics: [topic] }));
  const deadline = Date.now() + readRetryMs;
  while ((await read(bootstrap, ({ admin }) => admin.listTopics())).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`topic ${topic} still listed after ${readRetryMs} ms`);
    await sleep(100);
  }
}

/** Writes `messages` in order with acks=all; returns each message's partition and offset, in the same order. */
export async function produce(bootstrap: string, topic: string, messages: TestMessage[]): Promise<ProducedOffset[]> {
  if (messages.length === 0) return [];
  return call(bootstrap, async ({ producer }) => {
    if (messages.every((message) => message.partition !== undefined)) {
      // One batch per partition: its messages get consecutive offsets from the batch's base offset.
      const batches = await producer.send({ topic, acks: -1, messages });
      const next = new Map(batches.map((batch) => [batch.partition, BigInt(batch.baseOffset!)]));
      return messages.map(({ partition }) => {
        const offset = next.get(partition!)!;
        next.set(partition!, offset + 1n);
        return { partition: partition!, offset };
      });
    }
    // The partitioner's choice shows only in the reply, so each message is sent on its own.
    const produced: ProducedOffset[] = [];
    for (const message of messages) {
      const [batch] = await producer.send({ topic, acks: -1, messages: [message] });
      produced.push({ partition: batch!.partition, offset: BigInt(batch!.baseOffset!) });
    }
    return produced;
  });
}

/** The group's committed offset per partition of `topic` (the next offset to read); null where none is committed. */
export async function committedOffsets(bootstrap: string, groupId: string, topic: string): Promise<Map<number, bigint | null>> {
  const [committed] = await read(bootstrap, ({ admin }) => admin.fetchOffsets({ groupId, topics: [topic] }));
  const partitions = [...(committed?.partitions ?? [])].sort((a, b) => a.partition - b.partition);
  return new Map(partitions.map(({ partition, offset }) => [partition, offset === '-1' ? null : BigInt(offset)]));
}

/** The end offset (high watermark: the offset the next message will get) per partition of `topic`. */
export async function endOffsets(bootstrap: string, topic: string): Promise<Map<number, bigint>> {
  const offsets = await read(bootstrap, ({ admin }) => admin.fetchTopicOffsets(topic));
  const partitions = [...offsets].sort((a, b) => a.partition - b.partition);
  return new Map(partitions.map(({ partition, high }) => [partition, BigInt(high)]));
}

interface Clients {
  admin: Admin;
  producer: Producer;
}

interface CachedClients {
  clients: Promise<Clients>;
  /** Helper calls using the clients right now. */
  active: number;
  idleTimer?: NodeJS.Timeout;
}

// kafkajs 2.2.4 re-arms a 1 ms timer forever on every connection that has had a reply (kafkajs
// issues #1556, #1704), so connected clients would keep a test process alive for good (Node 20's test
// runner waits for the event loop to drain). The clients are disconnected once idle for a moment.
const idleMs = 1_000;
const cached = new Map<string, CachedClients>();

/**
 * Runs one helper call on the cached clients of `bootstrap`. A failed call retires the clients, so
 * the next call connects afresh (e.g. after a broker restart).
 */
async function call<T>(bootstrap: string, use: (clients: Clients) => Promise<T>): Promise<T> {
  const current = cached.get(bootstrap) ?? { clients: connectClients(bootstrap), active: 0 };
  cached.set(bootstrap, current);
  current.active++;
  clearTimeout(current.idleTimer);
  try {
    return await use(await current.clients);
  } catch (error) {
    if (cached.get(bootstrap) === current) cached.delete(bootstrap);
    throw error;
  } finally {
    current.active--;
    if (current.active === 0) {
      if (cached.get(bootstrap) === current) current.idleTimer = setTimeout(() => retire(bootstrap, current), idleMs).unref();
      else retire(bootstrap, current);
    }
  }
}

function retire(bootstrap: string, entry: CachedClients): void {
  if (cached.get(bootstrap) === entry) cached.delete(bootstrap);
  void entry.clients.then(disconnect).catch(() => undefined);
}

const readRetryMs = 20_000;

/**
 * A read-only `call`, tried again while Kafka answers with a retriable error. kafkajs' admin gives
 * up at once on some, e.g. GROUP_LOAD_IN_PROGRESS while a restarted broker reloads its groups.
 */
async function read<T>(bootstrap: string, use: (clients: Clients) => Promise<T>): Promise<T> {
  const deadline = Date.now() + readRetryMs;
  for (;;) {
    try {
      return await call(bootstrap, use);
    } catch (error) {
      // Checked by shape: kafkajs' CommonJS exports do not let ESM import KafkaJSError as a value.
      if ((error as Partial<KafkaJSError>).retriable !== true || Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function connectClients(bootstrap: string): Promise<Clients> {
  const kafka = new Kafka({ clientId: 'k2s-test-helpers', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  // Idempotent: on a busy machine kafkajs retries a send whose reply was slow, and a plain producer
  // then writes the messages twice (a broker start in CI ended a partition at 4 after 2 sends).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  return { admin, producer };
}

async function disconnect({ admin, producer }: Clients): Promise<void> {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
}
