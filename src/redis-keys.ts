/**
 * Every Redis key K2S writes, in one place, under one prefix, so a test run or a second K2S
 * deployment can share a Redis without touching each other's state.
 */
export type RedisKeys = ReturnType<typeof redisKeys>

export function redisKeys(prefix: string) {
  return {
    prefix,
    /** BullMQ's own prefix: its keys sit beside ours. */
    bullPrefix: `${prefix}:bull`,
    instance: (name: string) => `${prefix}:instance:${name}`,
    instances: `${prefix}:instances`,
    mappingEnv: (name: string) => `${prefix}:mapping-env:${name}`,
    mappingEnvs: `${prefix}:mapping-envs`,
    batchRange: (instance: string, topic: string, partition: number) => `${prefix}:range:${instance}:${topic}:${partition}`,
    resetPlan: (instance: string, epoch: number) => `${prefix}:reset:${instance}:${epoch}`,
    quarantine: (instance: string) => `${prefix}:quarantine:${instance}`,
    counters: (instance: string) => `${prefix}:counters:${instance}`,
    skippedBySource: (instance: string) => `${prefix}:skipped:${instance}`,
    health: (instance: string) => `${prefix}:health:${instance}`,
  }
}
