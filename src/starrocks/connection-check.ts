import { request } from 'node:http'
import { Kafka, logLevel } from 'kafkajs'
import mysql from 'mysql2/promise'
import { parseJdbcUrl } from './starrocks-schema.ts'

/**
 * "Test connection" of the instance dialog: the three things an instance talks to, each checked
 * on its own with a short timeout, so the answer says which part failed and why. No message ever
 * carries the password.
 */
export type PartResult = { ok: boolean; message: string }
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
  const scrub = (message: string) => (target.passWord ? message.split(target.passWord).join('***') : message)
  const guard = async <T extends PartResult>(what: string, check: Promise<T>, failed: (message: string) => T): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(failed(`${what} did not answer within ${timeoutMs / 1000} s`)), timeoutMs)
    })
    try {
      const result = await Promise.race([check.catch((err: Error) => failed(`${what}: ${err.message}`)), timeout])
      return { ...result, message: scrub(result.message) }
    } finally {
      clearTimeout(timer)
    }
  }
  const [kafka, sql, fe] = await Promise.all([
    guard(`Kafka at ${target.kafkaBootstrap}`, checkKafka(target, timeoutMs), (message) => ({ ok: false, message, topics: [] as TopicCheck[] })),
    guard(`StarRocks MySQL port ${target.jdbcUrl}`, checkMysql(target, timeoutMs), (message) => ({ ok: false, message })),
    guard(`StarRocks FE HTTP port ${target.feHost}:${target.feHttpPort}`, checkFeHttp(target, timeoutMs), (message) => ({ ok: false, message })),
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
    if (missing.length > 0) return { ok: false, message: `connected, but no topic named ${missing.join(', ')}`, topics }
    return { ok: true, message: `connected; ${topics.map((t) => `${t.name}: ${t.partitions} partitions`).join(', ')}`, topics }
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
    return { ok: true, message: `logged in as ${target.userName}${version ? ` (StarRocks ${version})` : ''}` }
  } catch {
    // The emulator and older versions may lack current_version(); the login is what matters.
    return { ok: true, message: `logged in as ${target.userName}` }
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
        if (res.statusCode === 401 || res.statusCode === 403) resolve({ ok: false, message: `the FE refused user ${target.userName} (HTTP ${res.statusCode}): check the user name and password` })
        else if (res.statusCode === 200) resolve({ ok: true, message: `FE answered and accepted user ${target.userName}` })
        else resolve({ ok: false, message: `the FE answered HTTP ${res.statusCode}: is this the FE HTTP port (usually 8030)?` })
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}
