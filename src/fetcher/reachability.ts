import { connect } from 'node:net'
import { say, type Said } from '../messages.ts'
import { kafkaFailure } from '../starrocks/connection-check.ts'
import { kafkaClient, type KafkaConnection } from './kafka-client.ts'

/**
 * Can this node reach what an instance needs, and if not, why: asked once, with a short timeout
 * and no retries, so the answer comes within seconds (kafkajs' own retries take a minute to give
 * up). The reasons name the address and the error; never a password (no credentials are sent).
 */
export type Unreachable = Said

/** `topics`: the names the instance lists (none to check when it reads a topic pattern). */
export async function probeKafka(connection: KafkaConnection, topics: string[], timeoutMs = 3_000): Promise<Unreachable | null> {
  const bootstrap = connection.kafkaBootstrap
  // The instance's own TLS and SASL settings: the probe must ask the way the fetcher will.
  const admin = kafkaClient(connection, { kind: 'probe', timeoutMs }).admin()
  try {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t))
    if (missing.length > 0) return say('kafka.topic_missing', { bootstrap, topics: missing.join(', ') })
    return null
  } catch (err) {
    // In the words Test connection uses: the same code for the same cause (SASL, TLS, no answer).
    return kafkaFailure(err as Error, connection)
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

/** A TCP connection to the StarRocks FE's HTTP port, where every Stream Load begins. */
export function probeStarRocks(host: string, port: number, timeoutMs = 3_000): Promise<Unreachable | null> {
  const address = `${host}:${port}`
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    const done = (error: string | null) => {
      socket.destroy()
      resolve(error === null ? null : say('starrocks.unreachable', { address, error }))
    }
    socket.once('connect', () => done(null))
    socket.once('timeout', () => done(`no answer within ${timeoutMs / 1000} s`))
    socket.once('error', (err) => done(err.message))
  })
}
