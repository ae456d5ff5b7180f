/**
 * The unit of work between a fetcher and the loader workers: one cut batch of one topic-partition.
 * Its raw Kafka values travel beside the job (src/jobs/job-payload.ts), so any worker on any node can
 * load it and a retry sees exactly the same bytes.
 */
export const loadQueueName = 'k2s-load'

/** A Kafka value as JSON can hold it: how the quarantine keeps source messages for a replay. */
export type KafkaValue = { offset: string; value: string | null; base64?: true; key?: KafkaKey }

/** A message key kept beside its value (Debezium keys hold the row's key); base64 when not text. */
export type KafkaKey = { value: string; base64?: true }

export type LoadJobData = {
  instance: string
  /** Bumped by an operator's E-B/L-B start, so reloading from the beginning gets new labels. */
  epoch: number
  topic: string
  partition: number
  firstOffset: string
  lastOffset: string
  messageCount: number
  /**
   * The batch of the same partition queued before this one and not completed then: this batch may
   * be read and built meanwhile, but loads only once that one is in StarRocks (src/jobs/batch-order.ts).
   */
  previous?: { firstOffset: string; lastOffset: string }
}

/** `key` only where the batch's frame carries keys (job-payload.ts); absent means null. */
export type BatchMessage = { offset: string; key?: Buffer | null; value: Buffer | null }

/** A job with its messages, as a worker loads it. */
export type LoadBatch = LoadJobData & { messages: BatchMessage[] }

export type LoadJobResult = {
  loadedRows: number
  quarantinedRows: number
  tables: number
}

export function loadJobId(d: Pick<LoadJobData, 'instance' | 'epoch' | 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>): string {
  // BullMQ refuses ':' in custom ids; '/' cannot appear in instance or topic names.
  return `${d.instance}/${d.epoch}/${d.topic}/${d.partition}/${d.firstOffset}-${d.lastOffset}`
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function encodeValue(offset: string, value: Buffer | null, key: Buffer | null = null): KafkaValue {
  const kept = key === null ? {} : { key: encodeKey(key) }
  if (value === null) return { offset, value: null, ...kept }
  try {
    return { offset, value: utf8.decode(value), ...kept }
  } catch {
    // Not text: keep the exact bytes so the quarantine shows what really arrived.
    return { offset, value: value.toString('base64'), base64: true, ...kept }
  }
}

function encodeKey(key: Buffer): KafkaKey {
  try {
    return { value: utf8.decode(key) }
  } catch {
    return { value: key.toString('base64'), base64: true }
  }
}

export function decodeValue(m: KafkaValue): Buffer | null {
  if (m.value === null) return null
  return Buffer.from(m.value, m.base64 ? 'base64' : 'utf8')
}

export function decodeKey(m: KafkaValue): Buffer | null {
  return m.key ? Buffer.from(m.key.value, m.key.base64 ? 'base64' : 'utf8') : null
}
