import type { Redis } from 'ioredis'
import type { MappingEnv } from '../src/instances/config.ts'
import { schemaHolds } from '../src/instances/schema-holds.ts'
import type { Logger } from '../src/observe/logger.ts'
import type { RedisKeys } from '../src/redis-keys.ts'
import { createSchemaChanges } from '../src/starrocks/schema-changes.ts'
import type { InstanceActivity } from '../src/instances/instance-activity.ts'
import type { StoredInstance } from '../src/instances/instance-store.ts'
import { createSchemaCache } from '../src/starrocks/starrocks-schema.ts'
import { createStreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { createTableRouter } from '../src/rows/table-mapping.ts'
import type { LoadContext } from './load-batch.ts'

/**
 * What loading an instance's batches needs, built from its stored config and mapping environment.
 * With `evolution`, schema changes follow each rule's policy; without (a quarantine replay), every
 * rule acts as `ignore`.
 */
export function createLoadContext(
  stored: StoredInstance,
  env: MappingEnv,
  activity: InstanceActivity,
  tableConcurrency = 4,
  log?: Logger,
  evolution?: { redis: Redis; keys: RedisKeys },
): LoadContext {
  const { config } = stored
  const sql = { jdbcUrl: config.jdbcUrl, user: config.userName, password: config.passWord }
  return {
    ...(evolution ? { evolution: { holds: schemaHolds(evolution.redis, evolution.keys), changes: createSchemaChanges(sql) } } : {}),
    config,
    route: createTableRouter(env),
    schemas: createSchemaCache(sql),
    client: createStreamLoadClient(
      { feHost: config.feHost, feHttpPort: config.feHttpPort, user: config.userName, password: config.passWord },
      { timeoutMs: config.loadTimeoutMs, strictMode: config.strictMode },
    ),
    activity,
    tableConcurrency,
    log,
  }
}

export async function closeLoadContext(ctx: LoadContext): Promise<void> {
  await Promise.all([ctx.client.close(), ctx.schemas.close(), ctx.evolution?.changes.close()])
}
