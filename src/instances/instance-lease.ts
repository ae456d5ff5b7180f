import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * Which node runs an instance's fetcher: a Redis key with a time-to-live that only its holder can
 * renew or release. A node that stops renewing (killed, cut off) loses the instance after one lease
 * period and another node claims it, continuing from the committed offsets.
 */
export type InstanceLeases = ReturnType<typeof instanceLeases>

const renewIfMine = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`
const releaseIfMine = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

export function instanceLeases(redis: Redis, keys: RedisKeys, leaseMs: number) {
  return {
    async claim(instance: string, node: string): Promise<boolean> {
      return (await redis.set(keys.owner(instance), node, 'PX', leaseMs, 'NX')) === 'OK'
    },
    async renew(instance: string, node: string): Promise<boolean> {
      return (await redis.eval(renewIfMine, 1, keys.owner(instance), node, String(leaseMs))) === 1
    },
    async release(instance: string, node: string): Promise<void> {
      await redis.eval(releaseIfMine, 1, keys.owner(instance), node)
    },
    async owner(instance: string): Promise<string | null> {
      return redis.get(keys.owner(instance))
    },
  }
}
