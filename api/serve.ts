import { serve, type ServerType } from '@hono/node-server'
import { Redis } from 'ioredis'
import type { Logger } from '../src/observe/logger.ts'
import { redisKeys } from '../src/redis-keys.ts'
import { secretBox } from '../src/instances/secret-box.ts'
import { createAdminApp, type AuthOptions } from './app.ts'
import { ensureAdminUser } from './console-users.ts'

/**
 * Runs the admin API on a port (`k2s admin`, or inside `k2s all`). The first start of an empty deployment without K2S_ADMIN_PASSWORD prints
 * the generated admin password once, here and nowhere else.
 */
export type AdminServerOptions = {
  redisUrl: string
  prefix: string
  secretKey: Buffer
  host: string
  port: number
  auth: AuthOptions
  leaseMs?: number
  log: Logger
  /** Where the generated first-start password is printed: the terminal, never a log (default stdout). */
  terminal?: (line: string) => void
}

export async function startAdminServer(opts: AdminServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 3 })
  const keys = redisKeys(opts.prefix)
  const admin = await ensureAdminUser(redis, keys, opts.auth)
  if (admin.generatedPassword) {
    // To the terminal only: the log goes to files and to the node's recent lines in Redis, which
    // every console user can read. It is never stored or shown again.
    const terminal = opts.terminal ?? ((line: string) => process.stdout.write(`${line}\n`))
    terminal(`first start: console user "${admin.user}" created with the generated password ${admin.generatedPassword} (shown once; set K2S_ADMIN_PASSWORD to choose your own)`)
    opts.log.warn({ user: admin.user }, 'first start: console user created with a generated password, printed on the terminal only')
  } else if (admin.created) {
    opts.log.info({ user: admin.user }, 'console admin created from K2S_ADMIN_PASSWORD')
  }
  if (!opts.auth.nodeToken) opts.log.warn('K2S_NODE_TOKEN is not set: consumer nodes cannot register with this admin')
  const app = createAdminApp({ redis, keys, secrets: secretBox(opts.secretKey), log: opts.log, auth: opts.auth, leaseMs: opts.leaseMs })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s))
  })
  const address = server.address()
  const url = `http://${opts.host}:${typeof address === 'object' && address ? address.port : opts.port}`
  opts.log.info({ url }, 'admin API listening')
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      redis.disconnect()
    },
  }
}
