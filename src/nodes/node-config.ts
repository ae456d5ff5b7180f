import { readFileSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { z } from 'zod'

/**
 * How a consumer node is configured: a properties file (the seed's `consumer.properties` works as
 * it is: `canal.*`, `server.port` and `logging.file.path` are read as aliases), then environment
 * variables, which win. The file's keys and their meaning: examples/k2s-node.properties.
 */
const keyAliases: Record<string, string> = {
  'server.port': 'k2s.node.port',
  'logging.file.path': 'k2s.log.path',
  'canal.register.ip': 'k2s.register.ip',
  'canal.admin.manager': 'k2s.admin.manager',
  'canal.admin.user': 'k2s.admin.user',
  'canal.admin.passwd': 'k2s.admin.passwd',
  'canal.admin.register.auto': 'k2s.register.auto',
  'canal.admin.register.cluster': 'k2s.register.cluster',
  'canal.admin.register.name': 'k2s.register.name',
}

const envKeys: Record<string, string> = {
  K2S_REDIS_URL: 'k2s.redis.url',
  K2S_REDIS_PREFIX: 'k2s.redis.prefix',
  K2S_NODE_PORT: 'k2s.node.port',
  K2S_LOG_PATH: 'k2s.log.path',
  K2S_REGISTER_IP: 'k2s.register.ip',
  K2S_ADMIN_MANAGER: 'k2s.admin.manager',
  K2S_NODE_USER: 'k2s.admin.user',
  K2S_NODE_TOKEN: 'k2s.admin.passwd',
  K2S_REGISTER_AUTO: 'k2s.register.auto',
  K2S_CLUSTER: 'k2s.register.cluster',
  K2S_NODE_NAME: 'k2s.register.name',
  K2S_LEASE_MS: 'k2s.lease.ms',
  K2S_ADMIN_HOST: 'k2s.admin.host',
}

const flag = z.enum(['true', 'false']).transform((v) => v === 'true')

const nodeConfigSchema = z.object({
  'k2s.redis.url': z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  'k2s.redis.prefix': z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : -').default('k2s'),
  'k2s.node.port': z.coerce.number().int().min(0).max(65535).default(10002),
  'k2s.log.path': z.string().default(''),
  'k2s.register.ip': z.string().default(''),
  'k2s.admin.manager': z.string().regex(/^(https?:\/\/)?[^\s/]+(:\d+)?\/?$/, 'host:port of the admin, e.g. 127.0.0.1:8080').or(z.literal('')).default(''),
  'k2s.admin.user': z.string().default(''),
  'k2s.admin.passwd': z.string().default(''),
  'k2s.register.auto': flag.default(true),
  'k2s.register.cluster': z.string().max(128).default(''),
  'k2s.register.name': z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/).or(z.literal('')).default(''),
  'k2s.lease.ms': z.coerce.number().int().min(500).max(600_000).default(15_000),
  // Loopback unless told otherwise: the admin is the console and the API, and a bare `k2s all` on a
  // shared host must not offer them to the whole network. A container sets 0.0.0.0 (Dockerfile).
  'k2s.admin.host': z.string().min(1).default('127.0.0.1'),
})

export type NodeConfig = {
  redisUrl: string
  redisPrefix: string
  port: number
  logPath: string
  address: string
  /** Where the node registers and heartbeats over HTTP; empty: straight into Redis. */
  adminUrl: string
  nodeToken: string
  registerAuto: boolean
  cluster: string
  name: string
  leaseMs: number
  /** The address the admin (`k2s all`, `k2s admin`) listens on. */
  adminHost: string
}

/** Java-style properties: `key=value` or `key: value`, `#` and `!` comments, blank values allowed. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const match = /^([^=:\s]+)\s*[=:]?\s*(.*)$/.exec(line)
    if (match) out[match[1]!] = match[2]!
  }
  return out
}

export function loadNodeConfig(env: Record<string, string | undefined>, file?: string): NodeConfig {
  const values: Record<string, string> = {}
  if (file) {
    for (const [key, value] of Object.entries(parseProperties(readFileSync(file, 'utf8')))) {
      const canonical = keyAliases[key] ?? key
      // Seed files leave keys empty to mean "the default": an empty value sets nothing.
      if (canonical.startsWith('k2s.') && value !== '') values[canonical] = value
    }
  }
  for (const [name, key] of Object.entries(envKeys)) if (env[name]) values[key] = env[name]!
  const c = nodeConfigSchema.parse(values)
  const port = c['k2s.node.port']
  const manager = c['k2s.admin.manager']
  return {
    redisUrl: c['k2s.redis.url'],
    redisPrefix: c['k2s.redis.prefix'],
    port,
    logPath: c['k2s.log.path'],
    address: c['k2s.register.ip'] || firstExternalAddress(),
    adminUrl: manager === '' ? '' : (manager.startsWith('http') ? manager : `http://${manager}`).replace(/\/$/, ''),
    nodeToken: c['k2s.admin.passwd'],
    registerAuto: c['k2s.register.auto'],
    cluster: c['k2s.register.cluster'],
    name: c['k2s.register.name'] || `${hostname()}-${port}`,
    leaseMs: c['k2s.lease.ms'],
    adminHost: c['k2s.admin.host'],
  }
}

function firstExternalAddress(): string {
  const all = Object.values(networkInterfaces()).flat()
  return all.find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1'
}
