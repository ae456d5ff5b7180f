import { request } from 'node:http'
import mysql from 'mysql2/promise'
import { kafkaClient } from '../fetcher/kafka-client.ts'
import { topicsToRead } from '../fetcher/topic-pattern.ts'
import type { KafkaReadTarget } from '../observe/consumer-lag.ts'
import { parseJdbcUrl } from './jdbc-url.ts'
import { say, type Said } from '../messages.ts'

/**
 * "Test connection" of the instance dialog: the three things an instance talks to, each checked
 * on its own with a short timeout, so the answer says which part failed and why. No message ever
 * carries the password.
 */
export type PartResult = { ok: boolean } & Said
export type TopicCheck = { name: string; exists: boolean; partitions: number }
export type ConnectionReport = { kafka: PartResult & { topics: TopicCheck[] }; mysql: PartResult; feHttp: PartResult }

export type ConnectionTarget = KafkaReadTarget & {
  jdbcUrl: string
  feHost: string
  feHttpPort: number
  userName: string
  passWord: string
}

const partTimeoutMs = 4_000

export async function checkConnections(target: ConnectionTarget, timeoutMs = partTimeoutMs): Promise<ConnectionReport> {
  const scrub = scrubber(target)
  const scrubbed = (said: Said): Said => ({
    ...said,
    message: scrub(said.message),
    params: Object.fromEntries(Object.entries(said.params).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v])),
  })
  // The console shows each part's name beside its message: the message does not say it again.
  const guard = async <T extends PartResult>(check: Promise<T>, extra: Omit<T, keyof PartResult>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const seconds = timeoutMs / 1000
    const timeout = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve({ ...extra, ok: false, ...say('check.timeout', { seconds }) } as T), timeoutMs)
    })
    try {
      const result = await Promise.race([check.catch((err: Error) => ({ ...extra, ok: false, ...say('check.error', { detail: err.message }) }) as T), timeout])
      return { ...result, ...scrubbed(result) }
    } finally {
      clearTimeout(timer)
    }
  }
  const [kafka, sql, fe] = await Promise.all([
    guard(checkKafka(target, timeoutMs), { topics: [] as TopicCheck[] }),
    guard(checkMysql(target, timeoutMs), {}),
    guard(checkFeHttp(target, timeoutMs), {}),
  ])
  return { kafka, mysql: sql, feHttp: fe }
}

/**
 * Masks the secrets in what a library said, should it ever echo one, without masking what the
 * user typed in plain sight: a password `0` must not turn `127.0.0.1:9092` into
 * `127.***.***.1:9***92` (which shows every place the password's characters occur). Addresses,
 * user names and topics are kept whole; a secret shorter than 4 characters is not searched for at
 * all, since any masking of it would reveal more than it hides.
 */
export function scrubber(target: Pick<ConnectionTarget, 'kafkaBootstrap' | 'topics' | 'jdbcUrl' | 'feHost' | 'feHttpPort' | 'userName' | 'passWord'> & Partial<Pick<ConnectionTarget, 'kafkaSaslPassword' | 'kafkaSaslUser'>>): (text: string) => string {
  const secrets = [target.passWord, target.kafkaSaslPassword ?? ''].filter((s) => s.length >= 4)
  if (secrets.length === 0) return (text) => text
  const visible = [target.kafkaBootstrap, ...target.kafkaBootstrap.split(','), ...target.topics, target.jdbcUrl, target.feHost, `${target.feHost}:${target.feHttpPort}`, target.userName, target.kafkaSaslUser ?? '']
    .filter((v) => v !== '')
    .sort((a, b) => b.length - a.length)
  return (text) => {
    const kept: string[] = []
    let masked = text
    for (const v of visible) masked = masked.split(v).join(`\u0000${kept.push(v) - 1}\u0000`)
    for (const secret of secrets) masked = masked.split(secret).join('***')
    return masked.replace(/\u0000(\d+)\u0000/g, (_, i: string) => kept[Number(i)]!)
  }
}

async function checkKafka(target: ConnectionTarget, timeoutMs: number): Promise<PartResult & { topics: TopicCheck[] }> {
  const admin = kafkaClient(target, { kind: 'probe', timeoutMs }).admin()
  try {
    await admin.connect()
    const all = await admin.listTopics()
    const existing = new Set(all)
    const wanted = topicsToRead(target, all)
    const present = wanted.filter((t) => existing.has(t))
    const metadata = present.length > 0 ? (await admin.fetchTopicMetadata({ topics: present })).topics : []
    const topics = wanted.map((name) => ({ name, exists: existing.has(name), partitions: metadata.find((m) => m.name === name)?.partitions.length ?? 0 }))
    const listed = topics.map((t) => `${t.name}: ${t.partitions}`).join(', ')
    if (target.topicPattern !== '') {
      const pattern = target.topicPattern
      if (topics.length === 0) return { ok: true, ...say('kafka.pattern_no_match', { pattern }), topics }
      return { ok: true, ...say('kafka.pattern_matched', { pattern, topics: listed }), topics }
    }
    const missing = topics.filter((t) => !t.exists).map((t) => t.name).join(', ')
    if (missing) return { ok: false, ...say('kafka.topics_missing', { topics: missing }), topics }
    return { ok: true, ...say('kafka.connected', { topics: listed }), topics }
  } catch (err) {
    return { ok: false, ...kafkaFailure(err as Error, target), topics: [] }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

// Node's codes for a broker certificate that does not chain to a trusted CA.
const untrustedCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
])
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET'])

/**
 * What went wrong, in the words an operator acts on: the login refused, the brokers not reached,
 * the broker's certificate not trusted (or not for this host name), or the TLS handshake refused.
 * The client wraps the socket's error; its code survives the wrapping.
 */
export function kafkaFailure(err: Error, target: Pick<ConnectionTarget, 'kafkaBootstrap' | 'kafkaSaslMechanism' | 'kafkaSaslUser'>): Said {
  const chain: (Error & { code?: string; originalError?: Error })[] = []
  for (let e: (Error & { code?: string; originalError?: Error; cause?: unknown }) | undefined = err; e && chain.length < 5; e = e.originalError ?? (e.cause as Error | undefined)) chain.push(e)
  const code = chain.map((e) => e.code).find((c) => c !== undefined) ?? ''
  const reason = chain.at(-1)!.message
  const bootstrap = target.kafkaBootstrap
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    const { kafkaSaslMechanism: mechanism, kafkaSaslUser: user } = target
    return say('kafka.auth_failed', { user, mechanism })
  }
  if (untrustedCodes.has(code)) {
    return say('kafka.tls_untrusted', { reason: code })
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return say('kafka.tls_hostname', { reason })
  }
  if (code.startsWith('ERR_SSL_') || /SSL|TLS/.test(reason)) {
    return say('kafka.tls_failed', { reason })
  }
  if (unreachableCodes.has(code) || chain.some((e) => e.name === 'KafkaJSConnectionError')) {
    return say('kafka.unreachable', { bootstrap, reason: code || reason })
  }
  return say('kafka.failed', { bootstrap, reason })
}

async function checkMysql(target: ConnectionTarget, timeoutMs: number): Promise<PartResult> {
  const { host, port, mysql: options } = parseJdbcUrl(target.jdbcUrl)
  const connection = await mysql.createConnection({ host, port, user: target.userName, password: target.passWord, ...options, connectTimeout: timeoutMs })
  try {
    const [rows] = await connection.query('SELECT current_version() AS v')
    const version = (rows as { v?: string }[])[0]?.v
    return { ok: true, ...(version ? say('check.mysql_logged_in_version', { user: target.userName, version }) : say('check.mysql_logged_in', { user: target.userName })) }
  } catch {
    // The emulator and older versions may lack current_version(); the login is what matters.
    return { ok: true, ...say('check.mysql_logged_in', { user: target.userName }) }
  } finally {
    await connection.end().catch(() => connection.destroy())
  }
}

/**
 * The FE HTTP port with the instance's user: a label-state query (reference §3.5) needs Basic auth
 * and nothing else, so a 200 means the port answers and the FE accepts the credentials.
 */
function checkFeHttp(target: ConnectionTarget, timeoutMs: number): Promise<PartResult> {
  const auth = Buffer.from(`${target.userName}:${target.passWord}`).toString('base64')
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.feHost, port: target.feHttpPort, method: 'GET', path: '/api/information_schema/get_load_state?label=k2s-connection-test', headers: { authorization: `Basic ${auth}` }, timeout: timeoutMs },
      (res) => {
        res.resume()
        const status = res.statusCode ?? 0
        if (status === 401 || status === 403) resolve({ ok: false, ...say('check.fe_refused', { user: target.userName, status }) })
        else if (status === 200) resolve({ ok: true, ...say('check.fe_accepted', { user: target.userName }) })
        else resolve({ ok: false, ...say('check.fe_unexpected', { status }) })
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}
