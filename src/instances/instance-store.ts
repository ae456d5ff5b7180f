import type { Redis } from 'ioredis'
import { instanceConfigSchema, mappingEnvSchema, type InstanceConfig, type InstanceConfigInput, type MappingEnv, type MappingEnvInput } from './config.ts'
import type { RedisKeys } from '../redis-keys.ts'
import type { SecretBox } from './secret-box.ts'
import { passwordBinding, PasswordRebindError, rebindingFields } from './secret-binding.ts'

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
  /** When an operator last started it (ms); 0 if never, or before K2S recorded it. */
  startedAt: number
  /** When the config or the desired state last changed (ISO time); null for instances stored before it was kept. */
  updatedAt: string | null
}

/** An instance as the admin API shows it: the password stays sealed, only whether one is set. */
export type InstanceView = Omit<StoredInstance, 'config'> & { config: Omit<InstanceConfig, 'passWord'>; passWordSet: boolean }

/** An update may leave the password out: the stored one is kept. */
export type InstanceUpdate = Omit<InstanceConfigInput, 'name' | 'passWord'> & { passWord?: string }

export type InstanceStore = ReturnType<typeof instanceStore>

const deleteIfStopped = `
if redis.call('HEXISTS', KEYS[1], 'config') == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'desired') == 'running' then return 'running' end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 'deleted'`

const now = () => new Date().toISOString()

type SealedConfig = Omit<InstanceConfig, 'passWord'> & { passWordSealed: string }

const storedConfigSchema = instanceConfigSchema.omit({ passWord: true })

/**
 * A config stored before a field existed lacks it; read through the schema, it gets the field's
 * default (an old instance without `pinNode` would otherwise be eligible on no node). One the
 * schema now refuses is kept as stored, so no running instance is lost to an upgrade.
 */
function readSealedConfig(text: string): SealedConfig {
  const { passWordSealed, ...rest } = JSON.parse(text) as SealedConfig
  const upgraded = storedConfigSchema.safeParse(rest)
  return { ...(upgraded.success ? upgraded.data : rest), passWordSealed }
}

/** The instance hash's fields beside its config. */
function lifecycle(h: Record<string, string>): Omit<StoredInstance, 'config'> {
  return {
    desired: h.desired === 'running' ? 'running' : 'stopped',
    epoch: Number(h.epoch ?? 0),
    resetPending: h.resetPending === '1',
    version: Number(h.version ?? 0),
    startedAt: Number(h.startedAt ?? 0),
    updatedAt: h.updatedAt ?? null,
  }
}

export function instanceStore(redis: Redis, keys: RedisKeys, secrets: SecretBox) {
  async function getInstance(name: string): Promise<StoredInstance | null> {
    const found = await readSealed(name)
    if (!found) return null
    const { passWordSealed, ...rest } = found.sealed
    return { config: { ...rest, passWord: secrets.open(passWordSealed, passwordBinding(rest)) }, ...lifecycle(found.h) }
  }

  async function readSealed(name: string): Promise<{ h: Record<string, string>; sealed: SealedConfig } | null> {
    const h = await redis.hgetall(keys.instance(name))
    return h.config ? { h, sealed: readSealedConfig(h.config) } : null
  }

  function sealedJson(config: InstanceConfig): string {
    const { passWord, ...rest } = config
    return JSON.stringify({ ...rest, passWordSealed: secrets.seal(passWord, passwordBinding(config)) })
  }

  // Every write that bumps an instance's version or removes it ends here, so fetcher nodes act at
  // once instead of on their next tick. The change is already stored: a publish lost or refused
  // only delays it to that tick, so it never fails the operator's call.
  async function announce(name: string): Promise<void> {
    await redis.publish(keys.instanceChanges, name).catch(() => {})
  }

  async function usersOfMappingEnvs(): Promise<Map<string, string[]>> {
    const names = (await redis.smembers(keys.instances)).sort()
    const pipeline = redis.pipeline()
    for (const name of names) pipeline.hget(keys.instance(name), 'config')
    const configs = (await pipeline.exec()) ?? []
    const users = new Map<string, string[]>()
    names.forEach((name, i) => {
      const text = configs[i]?.[1]
      if (typeof text !== 'string') return
      // Only the one field is needed: no schema, no password.
      const env = (JSON.parse(text) as { mappingEnv?: unknown }).mappingEnv
      if (typeof env !== 'string') return
      const list = users.get(env)
      if (list) list.push(name)
      else users.set(env, [name])
    })
    return users
  }

  return {
    getInstance,

    /** Reads without opening the password, so showing an instance never needs (or leaks) it. */
    async viewInstance(name: string): Promise<InstanceView | null> {
      const found = await readSealed(name)
      if (!found) return null
      const { passWordSealed, ...config } = found.sealed
      return { config, passWordSet: passWordSealed !== undefined && passWordSealed !== '', ...lifecycle(found.h) }
    },

    /** Like saveInstance, but refuses (returns null) when the name exists, atomically. */
    async createInstance(input: InstanceConfigInput): Promise<InstanceConfig | null> {
      const config = instanceConfigSchema.parse(input)
      const key = keys.instance(config.name)
      if ((await redis.hsetnx(key, 'config', sealedJson(config))) === 0) return null
      await redis.multi().hsetnx(key, 'desired', 'stopped').hsetnx(key, 'epoch', '0').hincrby(key, 'version', 1).hset(key, 'updatedAt', now()).sadd(keys.instances, config.name).exec()
      await announce(config.name)
      return config
    },

    /**
     * Replaces the config of an existing instance (null when there is none). No password keeps the
     * stored one, but only for the endpoints and user it was saved with (PasswordRebindError).
     */
    async updateInstance(name: string, input: InstanceUpdate): Promise<InstanceConfig | null> {
      const found = await readSealed(name)
      if (!found) return null
      let config = instanceConfigSchema.parse({ ...input, name, passWord: input.passWord ?? '' })
      if (input.passWord === undefined) {
        const changed = rebindingFields(found.sealed, config)
        if (changed.length > 0) throw new PasswordRebindError(changed)
        config = { ...config, passWord: secrets.open(found.sealed.passWordSealed, passwordBinding(found.sealed)) }
      }
      const json = sealedJson(config)
      await redis.multi().hset(keys.instance(name), 'config', json).hincrby(keys.instance(name), 'version', 1).hset(keys.instance(name), 'updatedAt', now()).exec()
      await announce(name)
      return config
    },

    /** Only a stopped instance can go: a running one still has fetchers and loaders working for it. */
    async deleteInstance(name: string): Promise<'deleted' | 'missing' | 'running'> {
      // One script, so a start between the check and the delete cannot orphan a running fetcher.
      const outcome = (await redis.eval(deleteIfStopped, 2, keys.instance(name), keys.instances, name)) as 'deleted' | 'missing' | 'running'
      if (outcome === 'deleted') await announce(name)
      return outcome
    },

    /** Instances whose config names this mapping environment (read without opening passwords). */
    async instancesUsing(mappingEnv: string): Promise<string[]> {
      return (await usersOfMappingEnvs()).get(mappingEnv) ?? []
    },

    /**
     * Every mapping environment's instances, in one pass over the instances (one Redis round trip),
     * so listing environments costs environments + instances, not their product.
     */
    usersOfMappingEnvs,

    async saveInstance(input: InstanceConfigInput): Promise<InstanceConfig> {
      const config = instanceConfigSchema.parse(input)
      const { passWord, ...rest } = config
      const key = keys.instance(config.name)
      await redis
        .multi()
        .hset(key, 'config', JSON.stringify({ ...rest, passWordSealed: secrets.seal(passWord, passwordBinding(config)) }))
        .hsetnx(key, 'desired', 'stopped')
        .hsetnx(key, 'epoch', '0')
        .hincrby(key, 'version', 1).hset(key, 'updatedAt', now())
        .sadd(keys.instances, config.name)
        .exec()
      await announce(config.name)
      return config
    },

    async listInstances(): Promise<string[]> {
      return (await redis.smembers(keys.instances)).sort()
    },

    async startInstance(name: string): Promise<void> {
      const stored = await getInstance(name)
      if (!stored) throw new Error(`no instance ${name}`)
      const key = keys.instance(name)
      const tx = redis.multi().hset(key, 'desired', 'running', 'startedAt', String(Date.now()))
      if (stored.config.consumerPolicy === 'E-B' || stored.config.consumerPolicy === 'L-B') {
        tx.hincrby(key, 'epoch', 1).hset(key, 'resetPending', '1')
      }
      await tx.hincrby(key, 'version', 1).hset(key, 'updatedAt', now()).exec()
      await announce(name)
    },

    async stopInstance(name: string): Promise<void> {
      await redis.multi().hset(keys.instance(name), 'desired', 'stopped').hincrby(keys.instance(name), 'version', 1).hset(keys.instance(name), 'updatedAt', now()).exec()
      await announce(name)
    },

    async saveMappingEnv(input: MappingEnvInput): Promise<MappingEnv> {
      const env = mappingEnvSchema.parse(input)
      await redis.multi().set(keys.mappingEnv(env.name), JSON.stringify(env)).sadd(keys.mappingEnvs, env.name).exec()
      return env
    },

    /**
     * An environment stored before a rule check existed may fail it now (a look-ahead pattern): it
     * reads back as stored, and the loader's router names the rule it cannot use.
     */
    async getMappingEnv(name: string): Promise<MappingEnv | null> {
      const text = await redis.get(keys.mappingEnv(name))
      if (!text) return null
      const parsed = mappingEnvSchema.safeParse(JSON.parse(text))
      return parsed.success ? parsed.data : (JSON.parse(text) as MappingEnv)
    },

    /** Like saveMappingEnv, but refuses (returns null) when the name exists, atomically. */
    async createMappingEnv(input: MappingEnvInput): Promise<MappingEnv | null> {
      const env = mappingEnvSchema.parse(input)
      if ((await redis.set(keys.mappingEnv(env.name), JSON.stringify(env), 'NX')) !== 'OK') return null
      await redis.sadd(keys.mappingEnvs, env.name)
      return env
    },

    async listMappingEnvs(): Promise<string[]> {
      return (await redis.smembers(keys.mappingEnvs)).sort()
    },

    /** What a list shows of each environment, in one round trip and without checking its rules again. */
    async mappingEnvSummaries(names: string[]): Promise<{ name: string; title: string; description: string; rules: number }[]> {
      if (names.length === 0) return []
      const texts = await redis.mget(names.map((name) => keys.mappingEnv(name)))
      return texts.flatMap((text) => {
        if (!text) return []
        const env = JSON.parse(text) as Partial<MappingEnv>
        return [{ name: String(env.name), title: env.title ?? '', description: env.description ?? '', rules: env.rules?.length ?? 0 }]
      })
    },

    async deleteMappingEnv(name: string): Promise<boolean> {
      const [[, deleted] = []] = (await redis.multi().del(keys.mappingEnv(name)).srem(keys.mappingEnvs, name).exec()) ?? []
      return deleted === 1
    },
  }
}
