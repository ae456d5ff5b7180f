import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisKeys } from '../src/redis-keys.ts'
import { decoyHash, hashPassword, verifyPassword } from './password-hash.ts'
import { roleOf, type Role } from './roles.ts'

/**
 * People who may use the console. There is no built-in password: the admin comes from config
 * (K2S_ADMIN_USER / K2S_ADMIN_PASSWORD), or, on the very first start of a deployment with neither,
 * gets a generated password that the caller prints once.
 */
export const defaultAdminUser = 'admin'
export const minPasswordLength = 8

export type AdminSetup = { user: string; created: boolean; generatedPassword?: string }

export function consoleUsers(redis: Redis, keys: RedisKeys) {
  return {
    /** The user name when the password is right, else null; unknown users cost the same time. */
    async check(user: string, password: string): Promise<string | null> {
      const stored = await redis.hget(keys.consoleUsers, user)
      const ok = await verifyPassword(password, stored ?? decoyHash)
      return ok && stored ? user : null
    },

    async setPassword(user: string, password: string): Promise<void> {
      await redis.hset(keys.consoleUsers, user, await hashPassword(password))
    },

    /** Creates the user only if no user of that name exists (two admins starting at once: one wins). */
    async createIfAbsent(user: string, password: string): Promise<boolean> {
      return (await redis.hsetnx(keys.consoleUsers, user, await hashPassword(password))) === 1
    },

    async count(): Promise<number> {
      return redis.hlen(keys.consoleUsers)
    },

    async list(): Promise<{ name: string; role: Role }[]> {
      const [names, stored] = await Promise.all([redis.hkeys(keys.consoleUsers), redis.hgetall(keys.consoleRoles)])
      return names.sort().map((name) => ({ name, role: roleOf(stored[name] ?? null) }))
    },

    async role(user: string): Promise<Role | null> {
      const [exists, role] = await Promise.all([redis.hexists(keys.consoleUsers, user), redis.hget(keys.consoleRoles, user)])
      return exists ? roleOf(role) : null
    },

    /** Creates the user with a role; false when the name is taken. */
    async create(user: string, password: string, role: Role): Promise<boolean> {
      if ((await redis.hsetnx(keys.consoleUsers, user, await hashPassword(password))) === 0) return false
      await redis.hset(keys.consoleRoles, user, role)
      return true
    },

    async setRole(user: string, role: Role): Promise<void> {
      await redis.hset(keys.consoleRoles, user, role)
    },

    /** Their sessions end with them (sessions.ts checks the password stamp). */
    async remove(user: string): Promise<void> {
      await redis.multi().hdel(keys.consoleUsers, user).hdel(keys.consoleRoles, user).exec()
    },
  }
}

/**
 * Call once at start. With a configured password the admin is created or reset to it; without,
 * an empty deployment gets `admin` with a generated password, returned here and nowhere else.
 */
export async function ensureAdminUser(redis: Redis, keys: RedisKeys, config: { adminUser?: string; adminPassword?: string }): Promise<AdminSetup> {
  const users = consoleUsers(redis, keys)
  const user = config.adminUser || defaultAdminUser
  if (config.adminPassword) {
    if (config.adminPassword.length < minPasswordLength) throw new Error(`K2S_ADMIN_PASSWORD must have at least ${minPasswordLength} characters`)
    if (await users.check(user, config.adminPassword)) return { user, created: false }
    const created = (await redis.hexists(keys.consoleUsers, user)) === 0
    await users.setPassword(user, config.adminPassword)
    return { user, created }
  }
  if ((await users.count()) > 0) return { user, created: false }
  const generatedPassword = randomBytes(18).toString('base64url')
  if (!(await users.createIfAbsent(user, generatedPassword))) return { user, created: false }
  return { user, created: true, generatedPassword }
}
