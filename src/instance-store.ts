import type { Redis } from 'ioredis'
import { instanceConfigSchema, mappingEnvSchema, type InstanceConfig, type InstanceConfigInput, type MappingEnv, type MappingEnvInput } from './config.ts'
import type { RedisKeys } from './redis-keys.ts'
import type { SecretBox } from './secret-box.ts'

/**
 * Instances and mapping environments as stored in Redis: the config (password sealed), the
 * operator's desired state, and the start epoch. The epoch goes into every load label, so an
 * operator's E-B/L-B start really reloads from the beginning instead of being refused by StarRocks
 * as labels it has seen.
 */
export type DesiredState = 'running' | 'stopped'

export type StoredInstance = {
  config: InstanceConfig
  desired: DesiredState
  epoch: number
  /** Set by an operator's E-B/L-B start: the epoch's fetchers move each partition once (reset-plan.ts). */
  resetPending: boolean
  version: number
}

export type InstanceStore = ReturnType<typeof instanceStore>

export function instanceStore(redis: Redis, keys: RedisKeys, secrets: SecretBox) {
  async function getInstance(name: string): Promise<StoredInstance | null> {
    const h = await redis.hgetall(keys.instance(name))
    if (!h.config) return null
    const { passWordSealed, ...rest } = JSON.parse(h.config) as Omit<InstanceConfig, 'passWord'> & { passWordSealed: string }
    return {
      config: { ...rest, passWord: secrets.open(passWordSealed) },
      desired: h.desired === 'running' ? 'running' : 'stopped',
      epoch: Number(h.epoch ?? 0),
      resetPending: h.resetPending === '1',
      version: Number(h.version ?? 0),
    }
  }

  return {
    getInstance,

    async saveInstance(input: InstanceConfigInput): Promise<InstanceConfig> {
      const config = instanceConfigSchema.parse(input)
      const { passWord, ...rest } = config
      const key = keys.instance(config.name)
      await redis
        .multi()
        .hset(key, 'config', JSON.stringify({ ...rest, passWordSealed: secrets.seal(passWord) }))
        .hsetnx(key, 'desired', 'stopped')
        .hsetnx(key, 'epoch', '0')
        .hincrby(key, 'version', 1)
        .sadd(keys.instances, config.name)
        .exec()
      return config
    },

    async listInstances(): Promise<string[]> {
      return (await redis.smembers(keys.instances)).sort()
    },

    async startInstance(name: string): Promise<void> {
      const stored = await getInstance(name)
      if (!stored) throw new Error(`no instance ${name}`)
      const key = keys.instance(name)
      const tx = redis.multi().hset(key, 'desired', 'running')
      if (stored.config.consumerPolicy === 'E-B' || stored.config.consumerPolicy === 'L-B') {
        tx.hincrby(key, 'epoch', 1).hset(key, 'resetPending', '1')
      }
      await tx.hincrby(key, 'version', 1).exec()
    },

    async stopInstance(name: string): Promise<void> {
      await redis.multi().hset(keys.instance(name), 'desired', 'stopped').hincrby(keys.instance(name), 'version', 1).exec()
    },

    async saveMappingEnv(input: MappingEnvInput): Promise<MappingEnv> {
      const env = mappingEnvSchema.parse(input)
      await redis.multi().set(keys.mappingEnv(env.name), JSON.stringify(env)).sadd(keys.mappingEnvs, env.name).exec()
      return env
    },

    async getMappingEnv(name: string): Promise<MappingEnv | null> {
      const text = await redis.get(keys.mappingEnv(name))
      return text ? mappingEnvSchema.parse(JSON.parse(text)) : null
    },
  }
}
