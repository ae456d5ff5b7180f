import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisKeys } from '../src/redis-keys.ts'
import { roleOf, type Role } from './roles.ts'

/**
 * Console logins: a random token handed to the browser, kept in Redis only as its SHA-256 with a
 * time-to-live, so a Redis dump holds no usable token and logins end by themselves. A session also
 * holds a stamp of the user's password hash: a new password (or a removed user) ends every session
 * opened before it, at once.
 */
export type Session = { user: string; tokenHash: string; role: Role }

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')
const stampOf = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('hex').slice(0, 32)

export function sessions(redis: Redis, keys: RedisKeys, ttlMs: number) {
  return {
    /** Null when the user does not exist (any more). */
    async open(user: string): Promise<{ token: string; expiresAt: string } | null> {
      const passwordHash = await redis.hget(keys.consoleUsers, user)
      if (!passwordHash) return null
      const token = randomBytes(32).toString('base64url')
      await redis.set(keys.session(tokenHash(token)), JSON.stringify({ user, stamp: stampOf(passwordHash), createdAt: new Date().toISOString() }), 'PX', ttlMs)
      return { token, expiresAt: new Date(Date.now() + ttlMs).toISOString() }
    },
    async find(token: string): Promise<Session | null> {
      // Tokens are 43 base64url characters; anything else cannot be one of ours.
      if (!/^[A-Za-z0-9_-]{20,128}$/.test(token)) return null
      const hash = tokenHash(token)
      const text = await redis.get(keys.session(hash))
      if (!text) return null
      const { user, stamp } = JSON.parse(text) as { user: string; stamp?: string }
      const [passwordHash, role] = await redis.pipeline().hget(keys.consoleUsers, user).hget(keys.consoleRoles, user).exec().then((r) => (r ?? []).map(([, v]) => v as string | null))
      if (!passwordHash || stamp !== stampOf(passwordHash)) return null
      return { user, tokenHash: hash, role: roleOf(role ?? null) }
    },
    /**
     * After a user changed their own password: the session they changed it from takes the new
     * stamp and lives on, while every other one ended with the old password.
     */
    async restamp(hash: string): Promise<void> {
      const text = await redis.get(keys.session(hash))
      if (!text) return
      const session = JSON.parse(text) as { user: string }
      const passwordHash = await redis.hget(keys.consoleUsers, session.user)
      if (!passwordHash) return
      await redis.set(keys.session(hash), JSON.stringify({ ...session, stamp: stampOf(passwordHash) }), 'KEEPTTL')
    },
    async close(hash: string): Promise<void> {
      await redis.del(keys.session(hash))
    },
  }
}
