import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisKeys } from '../src/redis-keys.ts'

/**
 * Console logins: a random token handed to the browser, kept in Redis only as its SHA-256 with a
 * time-to-live, so a Redis dump holds no usable token and logins end by themselves.
 */
export type Session = { user: string; tokenHash: string }

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')

export function sessions(redis: Redis, keys: RedisKeys, ttlMs: number) {
  return {
    async open(user: string): Promise<{ token: string; expiresAt: string }> {
      const token = randomBytes(32).toString('base64url')
      await redis.set(keys.session(tokenHash(token)), JSON.stringify({ user, createdAt: new Date().toISOString() }), 'PX', ttlMs)
      return { token, expiresAt: new Date(Date.now() + ttlMs).toISOString() }
    },
    async find(token: string): Promise<Session | null> {
      // Tokens are 43 base64url characters; anything else cannot be one of ours.
      if (!/^[A-Za-z0-9_-]{20,128}$/.test(token)) return null
      const hash = tokenHash(token)
      const text = await redis.get(keys.session(hash))
      return text ? { user: (JSON.parse(text) as { user: string }).user, tokenHash: hash } : null
    },
    async close(hash: string): Promise<void> {
      await redis.del(keys.session(hash))
    },
  }
}
