import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { createAdminApp } from '../../api/app.ts'
import type { AuthOptions } from '../../api/context.ts'
import { ensureAdminUser } from '../../api/console-users.ts'
import { instanceActivity } from '../../src/instances/instance-activity.ts'
import { instanceStore } from '../../src/instances/instance-store.ts'
import { createLogger, type Logger } from '../../src/observe/logger.ts'
import { redisKeys, type RedisKeys } from '../../src/redis-keys.ts'
import { secretBox } from '../../src/instances/secret-box.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * An admin API over a real Redis (own key prefix), called in-process with `app.request`. Every
 * answer's raw text is checked against the secrets the test registered: none may ever come back.
 */
export const adminPassword = 'console-Secret-4711'
export const nodeToken = 'node-token-Secret-0815-abcdefgh'
export const starrocksPassword = 'sr-Pa55word-never-shown'

export type Reply = { status: number; text: string; body: any; headers: Headers }
export type CallOptions = { body?: unknown; raw?: string; token?: string; cookie?: string; headers?: Record<string, string> }

export type AdminFixture = Awaited<ReturnType<typeof adminFixture>>

export async function adminFixture(name: string, extra: { auth?: Partial<AuthOptions>; leaseMs?: number; log?: Logger } = {}) {
  const redis = new Redis(await testRedisUrl())
  const keys: RedisKeys = redisKeys(testPrefix(name))
  const log = extra.log ?? createLogger('api-test', { level: process.env.K2S_TEST_LOG_LEVEL ?? 'silent' })
  const auth: AuthOptions = { adminUser: 'ops', adminPassword, nodeToken, ...extra.auth }
  await ensureAdminUser(redis, keys, auth)
  const box = secretBox(randomBytes(32))
  const app = createAdminApp({ redis, keys, secrets: box, log, auth, leaseMs: extra.leaseMs })
  const secrets = new Set([adminPassword, nodeToken, starrocksPassword])

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    if (opts.cookie) headers.cookie = opts.cookie
    let body: string | undefined = opts.raw
    if (opts.body !== undefined) body = JSON.stringify(opts.body)
    if (body !== undefined) headers['content-type'] ??= 'application/json'
    const res = await app.request(path, { method, headers, body })
    const text = await res.text()
    for (const secret of secrets) assert.ok(!text.includes(secret), `${method} ${path} answered a secret: ${text.slice(0, 300)}`)
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: res.status, text, body: parsed, headers: res.headers }
  }

  async function login(): Promise<string> {
    const res = await call('POST', '/api/login', { body: { user: 'ops', password: adminPassword } })
    assert.equal(res.status, 200, res.text)
    return res.body.token as string
  }

  return {
    app,
    redis,
    keys,
    store: instanceStore(redis, keys, box),
    activity: instanceActivity(redis, keys),
    call,
    login,
    /** Another value that must never appear in an answer (a password set in a test). */
    secret: (value: string) => secrets.add(value),
    close: () => redis.disconnect(),
  }
}

export function instanceBody(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    kafkaBootstrap: '127.0.0.1:9092',
    topics: [name],
    mappingEnv: 'shop',
    jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/',
    feHost: '127.0.0.1',
    feHttpPort: 8030,
    userName: 'root',
    passWord: starrocksPassword,
    consumerPolicy: 'E-C',
    ...overrides,
  }
}

export function mappingBody(name: string, rules: Record<string, unknown>[] = [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }]) {
  return { name, description: `${name} rules`, rules }
}
