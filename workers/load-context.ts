import type { MappingEnv } from '../src/instances/config.ts'
import type { InstanceActivity } from '../src/instances/instance-activity.ts'
import type { StoredInstance } from '../src/instances/instance-store.ts'
import { createSchemaCache } from '../src/starrocks/starrocks-schema.ts'
import { createStreamLoadClient } from '../src/starrocks/stream-load-client.ts'
import { createTableRouter } from '../src/rows/table-mapping.ts'
import type { LoadContext } from './load-batch.ts'

/** What loading an instance's batches needs, built from its stored config and mapping environment. */
export function createLoadContext(stored: StoredInstance, env: MappingEnv, activity: InstanceActivity, tableConcurrency = 4, log?: LoadContext['log']): LoadContext {
  const { config } = stored
  return {
    config,
    route: createTableRouter(env),
    schemas: createSchemaCache({ jdbcUrl: config.jdbcUrl, user: config.userName, password: config.passWord }),
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
  await Promise.all([ctx.client.close(), ctx.schemas.close()])
}
