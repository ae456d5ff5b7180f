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
  /**
   * Nodes of other processes register here over HTTP with the node token (`k2s admin`); false when
   * the only node is this process' own, which registers straight into Redis (`k2s all`).
   */
  nodesRegisterOverHttp?: boolean
  log: Logger
  /** Where the generated first-start password is printed: the terminal, never a log (default stdout). */
  terminal?: (line: string) => void
}

/** The admin's port is taken: said in a sentence, not a stack trace. */
export class AdminPortTakenError extends Error {}

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
  if (!opts.auth.nodeToken && (opts.nodesRegisterOverHttp ?? true)) {
    opts.log.warn('K2S_NODE_TOKEN is not set: consumer nodes started with K2S_ADMIN_MANAGER cannot register with this admin (nodes that share its Redis need none)')
  }
  const app = createAdminApp({ redis, keys, secrets: secretBox(opts.secretKey), log: opts.log, auth: opts.auth, leaseMs: opts.leaseMs })
  let server: ServerType
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s))
      s.once('error', reject)
    })
  } catch (err) {
    redis.disconnect()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AdminPortTakenError(`port ${opts.port} is taken by another process: choose the admin's port with K2S_ADMIN_PORT`)
    throw err
  }
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  const url = `http://${opts.host}:${port}`
  // Where a person opens the console: a wildcard address is no address to type into a browser, and
  // on this machine both it and loopback are reached as localhost.
  const local = ['0.0.0.0', '::', '', '127.0.0.1', '::1'].includes(opts.host)
  const consoleUrl = `http://${local ? 'localhost' : opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/`
  opts.log.info({ url, console: consoleUrl }, `admin API listening; open the console at ${consoleUrl}`)
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      redis.disconnect()
    },
  }
}
