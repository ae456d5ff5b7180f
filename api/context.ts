import type { Redis } from 'ioredis'
import type { Logger } from '../src/observe/logger.ts'
import type { RedisKeys } from '../src/redis-keys.ts'
import type { SecretBox } from '../src/instances/secret-box.ts'
import type { LoginLimits } from './login-limit.ts'
import type { Role } from './roles.ts'

/**
 * What every route of the admin API gets: the shared Redis, its keys, the secret box for
 * StarRocks passwords, a logger, and who is asking (set by the auth middleware).
 */
export type AuthOptions = {
  /** K2S_ADMIN_USER / K2S_ADMIN_PASSWORD: the console admin, created or reset at start. */
  adminUser?: string
  adminPassword?: string
  /** K2S_NODE_TOKEN: what consumer nodes present to register and heartbeat; unset, nodes cannot. */
  nodeToken?: string
  /** How long a console login lasts (default 12 h). */
  sessionTtlMs?: number
  /** Mark the session cookie Secure (set when the console is served over HTTPS). */
  secureCookie?: boolean
  /** K2S_METRICS_TOKEN: a bearer token that may read GET /metrics and nothing else. */
  metricsToken?: string
  /** K2S_METRICS_PUBLIC=true: GET /metrics needs no token at all (a scrape network you trust). */
  metricsPublic?: boolean
  /**
   * K2S_TRUST_PROXY=true: the admin runs behind a reverse proxy, whose X-Forwarded-For and
   * X-Forwarded-Host name the client and the site (login limits, the same-origin check).
   */
  trustProxy?: boolean
  /** Failed-login limits (login-limit.ts); tests shorten them. */
  loginLimits?: LoginLimits
}

export type AdminOptions = {
  redis: Redis
  keys: RedisKeys
  secrets: SecretBox
  log: Logger
  auth: AuthOptions
  /** A node is online while its last heartbeat is younger than this (default 15 s). */
  leaseMs?: number
}

export type Principal = { kind: 'user'; user: string; tokenHash: string; role: Role } | { kind: 'node'; node?: string } | { kind: 'metrics' }

export type AdminEnv = { Variables: { principal: Principal } }
