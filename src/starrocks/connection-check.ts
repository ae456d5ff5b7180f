import { request } from 'node:http'
import { Kafka, logLevel } from 'kafkajs'
import mysql from 'mysql2/promise'
import { say, type Said } from '../messages.ts'
import { parseJdbcUrl } from './starrocks-schema.ts'

/**
 * "Test connection" of the instance dialog: the three things an instance talks to, each checked
 * on its own with a short timeout, so the answer says which part failed and why. No message ever
 * carries the password.
 */
export type PartResult = { ok: boolean } & Said
export type TopicCheck = { name: string; exists: boolean; partitions: number }
export type ConnectionReport = { kafka: PartResult & { topics: TopicCheck[] }; mysql: PartResult; feHttp: PartResult }

export type ConnectionTarget = {
  kafkaBootstrap: string
  topics: string[]
  jdbcUrl: string
  feHost: string
  feHttpPort: number
  userName: string
  passWord: string
}

const partTimeoutMs = 4_000

export async function checkConnections(target: ConnectionTarget, timeoutMs = partTimeoutMs): Promise<ConnectionReport> {
  const scrub = (text: string) => (target.passWord ? text.split(target.passWord).join('***') : text)
  const scrubbed = (said: Said): Said => ({
    ...said,
    message: scrub(said.message),
    params: Object.fromEntries(Object.entries(said.params).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v])),
  })
  const seconds = timeoutMs / 1000
  const guard = async <T extends PartResult>(check: Promise<T>, timedOut: Said, failed: (detail: string) => Said, extra: Omit<T, keyof PartResult>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve({ ...extra, ok: false, ...timedOut } as T), timeoutMs)
    })
    try {
      const result = await Promise.race([check.catch((err: Error) => ({ ...extra, ok: false, ...failed(err.message) }) as T), timeout])
      return { ...result, ...scrubbed(result) }
    } finally {
      clearTimeout(timer)
    }
  }
  const bootstrap = target.kafkaBootstrap
  const { jdbcUrl, feHost: host, feHttpPort: port } = target
  const [kafka, sql, fe] = await Promise.all([
    guard(checkKafka(target, timeoutMs), say('check.kafka_timeout', { bootstrap, seconds }), (detail) => say('check.kafka_error', { bootstrap, detail }), { topics: [] as TopicCheck[] }),
    guard(checkMysql(target, timeoutMs), say('check.mysql_timeout', { jdbcUrl, seconds }), (detail) => say('check.mysql_error', { jdbcUrl, detail }), {}),
    guard(checkFeHttp(target, timeoutMs), say('check.fe_timeout', { host, port, seconds }), (detail) => say('check.fe_error', { host, port, detail }), {}),
  ])
  return { kafka, mysql: sql, feHttp: fe }
}

async function checkKafka(target: ConnectionTarget, timeoutMs: number): Promise<PartResult & { topics: TopicCheck[] }> {
  const admin = new Kafka({
    brokers: target.kafkaBootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(3_000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin()
  try {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const present = target.topics.filter((t) => existing.has(t))
    const metadata = present.length > 0 ? (await admin.fetchTopicMetadata({ topics: present })).topics : []
    const topics = target.topics.map((name) => ({ name, exists: existing.has(name), partitions: metadata.find((m) => m.name === name)?.partitions.length ?? 0 }))
    const missing = topics.filter((t) => !t.exists).map((t) => t.name)
    if (missing.length > 0) return { ok: false, ...say('check.kafka_topics_missing', { topics: missing.join(', ') }), topics }
    return { ok: true, ...say('check.kafka_connected', { partitions: topics.map((t) => `${t.name}: ${t.partitions}`).join(', ') }), topics }
  } finally {
    await admin.disconnect()
  }
}

async function checkMysql(target: ConnectionTarget, timeoutMs: number): Promise<PartResult> {
  const { host, port } = parseJdbcUrl(target.jdbcUrl)
  const connection = await mysql.createConnection({ host, port, user: target.userName, password: target.passWord, connectTimeout: timeoutMs })
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
