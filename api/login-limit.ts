import type { Redis } from 'ioredis'
import type { RedisKeys } from '../src/redis-keys.ts'

/**
 * Failed console logins are limited, counted in Redis so every admin process shares the count:
 * per user and address (a guesser is stopped after a few tries), per address (one guesser trying
 * many users), and per user from all addresses (many guessers), whose window is short so that an
 * attacker cannot keep the real admin out for long: the admin's own address is not blocked by the
 * first two, and the third lets them in again within a minute. Only a failure counts; a success
 * clears its user-and-address count.
 */
export type LoginLimits = { perUserAndAddress: Limit; perAddress: Limit; perUser: Limit }
type Limit = { failures: number; windowMs: number }

export const defaultLoginLimits: LoginLimits = {
  perUserAndAddress: { failures: 5, windowMs: 5 * 60_000 },
  perAddress: { failures: 30, windowMs: 5 * 60_000 },
  perUser: { failures: 100, windowMs: 60_000 },
}

export type LoginBlock = { retryAfterSeconds: number; scope: keyof LoginLimits }

// One round trip: count the failure and start the window with the first one.
const countFailure = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`

export function loginLimiter(redis: Redis, keys: RedisKeys, limits: LoginLimits = defaultLoginLimits) {
  const scopes = (user: string, address: string) =>
    [
      ['perUserAndAddress', keys.loginFailures(`pair:${user}\u0000${address}`)],
      ['perAddress', keys.loginFailures(`address:${address}`)],
      ['perUser', keys.loginFailures(`user:${user}`)],
    ] as const

  return {
    /** A block in force for this user and address, if any: the caller answers 429 without checking the password. */
    async blocked(user: string, address: string): Promise<LoginBlock | null> {
      const all = scopes(user, address)
      const pipeline = redis.pipeline()
      for (const [, key] of all) pipeline.get(key).pttl(key)
      const replies = ((await pipeline.exec()) ?? []).map(([, value]) => value)
      for (const [i, [scope]] of all.entries()) {
        const count = Number(replies[2 * i] ?? 0)
        const ttl = Number(replies[2 * i + 1] ?? -1)
        if (count >= limits[scope].failures) return { scope, retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : limits[scope].windowMs) / 1000)) }
      }
      return null
    },
    /** Counts a failure: whether it is the address's first in its window, and the block it starts, if any. */
    async failed(user: string, address: string): Promise<{ first: boolean; block: LoginBlock | null }> {
      const all = scopes(user, address)
      const counts = await Promise.all(all.map(([scope, key]) => redis.eval(countFailure, 1, key, String(limits[scope].windowMs)) as Promise<number>))
      const reached = all.findIndex(([scope], i) => counts[i] === limits[scope].failures)
      const block = reached < 0 ? null : { scope: all[reached]![0], retryAfterSeconds: Math.ceil(limits[all[reached]![0]].windowMs / 1000) }
      return { first: counts[1] === 1, block }
    },
    async succeeded(user: string, address: string): Promise<void> {
      await redis.del(scopes(user, address)[0][1])
    },
  }
}
