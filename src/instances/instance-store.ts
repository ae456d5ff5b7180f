import type { Redis } from 'ioredis'
import { usesSasl, usesTls } from '../fetcher/kafka-client.ts'
import { ConfigIssuesError, instanceConfigProblems, instanceConfigSchema, mappingEnvSchema, parseInstanceConfig, type FieldProblem, type InstanceConfig, type InstanceConfigInput, type InstanceSecretField, type MappingEnv, type MappingEnvInput } from './config.ts'
import { say } from '../messages.ts'
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

/** An instance as the admin API shows it: secrets stay sealed, only whether each is set. */
export type InstanceView = Omit<StoredInstance, 'config'> & {
  config: Omit<InstanceConfig, InstanceSecretField>
  passWordSet: boolean
  kafkaSaslPasswordSet: boolean
  kafkaTlsKeySet: boolean
}

/** An update may leave a secret out: the stored one is kept (kafka's only while bound to the same brokers and user). */
export type InstanceUpdate = Omit<InstanceConfigInput, 'name' | InstanceSecretField> & Partial<Record<InstanceSecretField, string>>

/**
 * What a stored Kafka secret is bound to: it is only ever sent to the brokers (and as the SASL user)
 * it was saved with. Changing one of these needs the secret typed again.
 */
const secretBindings: Record<Exclude<InstanceSecretField, 'passWord'>, readonly ('kafkaBootstrap' | 'kafkaSaslUser')[]> = {
  kafkaSaslPassword: ['kafkaBootstrap', 'kafkaSaslUser'],
  kafkaTlsKey: ['kafkaBootstrap'],
}

type KafkaSecretUse = Pick<InstanceConfig, 'kafkaBootstrap' | 'kafkaSaslUser' | 'kafkaSecurityProtocol' | 'kafkaTlsCert'>

/** Whether `config` uses the secret at all (a SASL password without SASL is dropped, not kept). */
function needsSecret(field: Exclude<InstanceSecretField, 'passWord'>, config: KafkaSecretUse): boolean {
  return field === 'kafkaSaslPassword' ? usesSasl(config) : usesTls(config) && config.kafkaTlsCert !== ''
}

/**
 * The stored Kafka secrets an edited config may reuse: each left out of `input` is kept when the
 * config still needs it and what it is bound to did not change; changed bindings are issues naming
 * the secret. `open` reads a stored secret.
 */
export function reusableKafkaSecrets(
  before: Pick<InstanceConfig, 'kafkaBootstrap' | 'kafkaSaslUser'>,
  after: KafkaSecretUse,
  given: Partial<Record<InstanceSecretField, string>>,
  stored: (field: Exclude<InstanceSecretField, 'passWord'>) => string,
): { kept: Partial<Record<InstanceSecretField, string>>; issues: FieldProblem[] } {
  const kept: Partial<Record<InstanceSecretField, string>> = {}
  const issues: FieldProblem[] = []
  for (const field of ['kafkaSaslPassword', 'kafkaTlsKey'] as const) {
    if (given[field] !== undefined || !needsSecret(field, after) || stored(field) === '') continue
    const moved = secretBindings[field].filter((bound) => before[bound] !== after[bound])
    if (moved.length === 0) kept[field] = stored(field)
    else issues.push({ path: field, ...say('instance.kafka_secret_rebind', { fields: moved.join(', ') }) })
  }
  return { kept, issues }
}

export type InstanceStore = ReturnType<typeof instanceStore>

const deleteIfStopped = `
if redis.call('HEXISTS', KEYS[1], 'config') == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'desired') == 'running' then return 'running' end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 'deleted'`

const now = () => new Date().toISOString()

type Sealed = { passWordSealed: string; kafkaSaslPasswordSealed?: string; kafkaTlsKeySealed?: string }
type SealedConfig = Omit<InstanceConfig, InstanceSecretField> & Sealed

const storedConfigSchema = instanceConfigSchema.omit({ passWord: true, kafkaSaslPassword: true, kafkaTlsKey: true })

const sealedName = (field: InstanceSecretField) => `${field}Sealed` as const

/**
 * A config stored before a field existed lacks it; read through the schema, it gets the field's
 * default (an old instance without `pinNode` would otherwise be eligible on no node). One the
 * schema now refuses is kept as stored, so no running instance is lost to an upgrade.
 */
function readSealedConfig(text: string): SealedConfig {
  const { passWordSealed, kafkaSaslPasswordSealed, kafkaTlsKeySealed, ...rest } = JSON.parse(text) as SealedConfig
  const upgraded = storedConfigSchema.safeParse(rest)
  return { ...(upgraded.success ? upgraded.data : rest), passWordSealed, kafkaSaslPasswordSealed, kafkaTlsKeySealed }
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
  const openSealed = (sealed: string | undefined) => (sealed ? secrets.open(sealed) : '')

  async function getInstance(name: string): Promise<StoredInstance | null> {
    const found = await readSealed(name)
    if (!found) return null
    const { passWordSealed, kafkaSaslPasswordSealed, kafkaTlsKeySealed, ...rest } = found.sealed
    const config = { ...rest, passWord: secrets.open(passWordSealed, passwordBinding(rest)), kafkaSaslPassword: openSealed(kafkaSaslPasswordSealed), kafkaTlsKey: openSealed(kafkaTlsKeySealed) }
    return { config, ...lifecycle(found.h) }
  }

  async function readSealed(name: string): Promise<{ h: Record<string, string>; sealed: SealedConfig } | null> {
    const h = await redis.hgetall(keys.instance(name))
    return h.config ? { h, sealed: readSealedConfig(h.config) } : null
  }

  /**
   * The config as stored: each secret sealed (`keep`: an already sealed value to store as it is).
   * The StarRocks password is always sealed, bound to its endpoints and user (secret-binding.ts); an
   * empty Kafka secret is stored empty, so the view says it is not set.
   */
  function sealedJson(config: InstanceConfig, keep: Partial<Sealed> = {}): string {
    const { passWord, kafkaSaslPassword, kafkaTlsKey, ...rest } = config
    const sealed: Sealed = {
      passWordSealed: secrets.seal(passWord, passwordBinding(config)),
      kafkaSaslPasswordSealed: keep.kafkaSaslPasswordSealed ?? (kafkaSaslPassword === '' ? '' : secrets.seal(kafkaSaslPassword)),
      kafkaTlsKeySealed: keep.kafkaTlsKeySealed ?? (kafkaTlsKey === '' ? '' : secrets.seal(kafkaTlsKey)),
    }
    return JSON.stringify({ ...rest, ...sealed })
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

    /** Reads without opening a secret, so showing an instance never needs (or leaks) one. */
    async viewInstance(name: string): Promise<InstanceView | null> {
      const found = await readSealed(name)
      if (!found) return null
      const { passWordSealed, kafkaSaslPasswordSealed, kafkaTlsKeySealed, ...config } = found.sealed
      const set = (sealed: string | undefined) => sealed !== undefined && sealed !== ''
      return { config, passWordSet: set(passWordSealed), kafkaSaslPasswordSet: set(kafkaSaslPasswordSealed), kafkaTlsKeySet: set(kafkaTlsKeySealed), ...lifecycle(found.h) }
    },

    /**
     * The config with only its Kafka secrets opened, and only those it has: what reading the
     * instance's lag from Kafka needs (a plaintext instance opens nothing).
     */
    async kafkaConfig(name: string): Promise<Omit<InstanceConfig, 'passWord'> | null> {
      const found = await readSealed(name)
      if (!found) return null
      const { passWordSealed: _, kafkaSaslPasswordSealed, kafkaTlsKeySealed, ...config } = found.sealed
      return { ...config, kafkaSaslPassword: openSealed(kafkaSaslPasswordSealed), kafkaTlsKey: openSealed(kafkaTlsKeySealed) }
    },

    /**
     * The stored Kafka secrets a Test connection of the edited fields may use: only where the
     * instance would use them itself (same brokers, same SASL user), else an issue naming the field.
     */
    async kafkaSecretsFor(name: string, target: KafkaSecretUse, given: Partial<Record<InstanceSecretField, string>>) {
      const found = await readSealed(name)
      if (!found) return { kept: {}, issues: [] }
      return reusableKafkaSecrets(found.sealed, target, given, (field) => openSealed(found.sealed[sealedName(field)]))
    },

    /** Like saveInstance, but refuses (returns null) when the name exists, atomically. */
    async createInstance(input: InstanceConfigInput): Promise<InstanceConfig | null> {
      const config = parseInstanceConfig(input)
      const key = keys.instance(config.name)
      if ((await redis.hsetnx(key, 'config', sealedJson(config))) === 0) return null
      await redis.multi().hsetnx(key, 'desired', 'stopped').hsetnx(key, 'epoch', '0').hincrby(key, 'version', 1).hset(key, 'updatedAt', now()).sadd(keys.instances, config.name).exec()
      await announce(config.name)
      return config
    },

    /**
     * Replaces the config of an existing instance (null when there is none). A secret left out keeps
     * the stored one, but only for what it was saved with: the password for the same StarRocks
     * endpoints and user (else PasswordRebindError), a Kafka secret for the same brokers and SASL
     * user (else a ConfigIssuesError naming it). Both are the API's 400.
     */
    async updateInstance(name: string, input: InstanceUpdate): Promise<InstanceConfig | null> {
      const found = await readSealed(name)
      if (!found) return null
      const before = found.sealed
      const draft = instanceConfigSchema.parse({ ...input, name, passWord: input.passWord ?? '', kafkaSaslPassword: input.kafkaSaslPassword ?? '', kafkaTlsKey: input.kafkaTlsKey ?? '' })
      if (input.passWord === undefined) {
        const changed = rebindingFields(before, draft)
        if (changed.length > 0) throw new PasswordRebindError(changed)
      }
      const { kept, issues } = reusableKafkaSecrets(before, draft, input, (field) => openSealed(before[sealedName(field)]))
      const passWord = input.passWord ?? secrets.open(before.passWordSealed, passwordBinding(before))
      const config = { ...draft, ...kept, passWord }
      const problems = [...issues, ...instanceConfigProblems(config).filter((p) => !issues.some((i) => i.path === p.path))]
      if (problems.length > 0) throw new ConfigIssuesError(problems)
      const keep: Partial<Sealed> = {}
      for (const field of ['kafkaSaslPassword', 'kafkaTlsKey'] as const) if (kept[field] !== undefined) keep[sealedName(field)] = before[sealedName(field)]
      await redis.multi().hset(keys.instance(name), 'config', sealedJson(config, keep)).hincrby(keys.instance(name), 'version', 1).hset(keys.instance(name), 'updatedAt', now()).exec()
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
      const config = parseInstanceConfig(input)
      const key = keys.instance(config.name)
      await redis
        .multi()
        .hset(key, 'config', sealedJson(config))
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
      // A failure from before this start is history: it must not greet the new start as its reason.
      const tx = redis.multi().hset(key, 'desired', 'running', 'startedAt', String(Date.now())).del(keys.health(name))
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
