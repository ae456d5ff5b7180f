import type { ConnectionOptions } from 'node:tls'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { registerKafkaCodecs } from './kafka-codecs.ts'

/**
 * Every Kafka client K2S makes is made here: the one place that knows the client library's
 * configuration (brokers, TLS, SASL, timeouts, retries, codecs). The rest of the code hands in an
 * instance's connection fields and a purpose.
 */
export const kafkaSecurityProtocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type KafkaSecurityProtocol = (typeof kafkaSecurityProtocols)[number]
export const kafkaSaslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number]

/** An instance's Kafka connection fields, named as in its config (Kafka's own `security.protocol` words). */
export type KafkaConnection = {
  kafkaBootstrap: string
  kafkaSecurityProtocol: KafkaSecurityProtocol
  kafkaSaslMechanism: KafkaSaslMechanism
  kafkaSaslUser: string
  kafkaSaslPassword: string
  /** PEM: the CAs the brokers' certificates must chain to; empty for the system's. */
  kafkaTlsCa: string
  /** PEM: a client certificate and its key, for brokers that require one (mTLS); empty for none. */
  kafkaTlsCert: string
  kafkaTlsKey: string
  kafkaTlsVerifyHostname: boolean
}

/**
 * `fetcher`: a long-lived consumer or admin that retries for a while. `probe`: one answer soon or a
 * failure (Test connection, the lag of an instance nobody runs).
 */
export type KafkaClientPurpose = { kind: 'fetcher'; clientId: string } | { kind: 'probe'; timeoutMs: number; retries?: number }

export function kafkaClient(connection: KafkaConnection, purpose: KafkaClientPurpose): Kafka {
  registerKafkaCodecs()
  const brokers = connection.kafkaBootstrap.split(',')
  const security = { ssl: tlsOptions(connection), sasl: saslOptions(connection) }
  if (purpose.kind === 'fetcher') {
    return new Kafka({ clientId: purpose.clientId, brokers, ...security, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 } })
  }
  return new Kafka({
    brokers,
    ...security,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(3_000, purpose.timeoutMs),
    // A SASL handshake and authentication are requests too: the same bound.
    authenticationTimeout: purpose.timeoutMs,
    requestTimeout: purpose.timeoutMs,
    retry: { retries: purpose.retries ?? 0 },
  })
}

export const usesTls = (c: Pick<KafkaConnection, 'kafkaSecurityProtocol'>) => c.kafkaSecurityProtocol === 'SSL' || c.kafkaSecurityProtocol === 'SASL_SSL'
export const usesSasl = (c: Pick<KafkaConnection, 'kafkaSecurityProtocol'>) => c.kafkaSecurityProtocol === 'SASL_PLAINTEXT' || c.kafkaSecurityProtocol === 'SASL_SSL'

function tlsOptions(c: KafkaConnection): ConnectionOptions | undefined {
  if (!usesTls(c)) return undefined
  return {
    // Never off: a certificate that does not chain to a trusted CA is refused.
    rejectUnauthorized: true,
    ...(c.kafkaTlsCa ? { ca: [c.kafkaTlsCa] } : {}),
    ...(c.kafkaTlsCert ? { cert: c.kafkaTlsCert, key: c.kafkaTlsKey } : {}),
    // Off only on request: the chain is still checked, the name in it is not.
    ...(c.kafkaTlsVerifyHostname ? {} : { checkServerIdentity: () => undefined }),
  }
}

function saslOptions(c: KafkaConnection): SASLOptions | undefined {
  if (!usesSasl(c)) return undefined
  const credentials = { username: c.kafkaSaslUser, password: c.kafkaSaslPassword }
  switch (c.kafkaSaslMechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', ...credentials }
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', ...credentials }
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', ...credentials }
  }
}
