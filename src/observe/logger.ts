import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * JSON lines for machines. Secrets and row data never reach a log call, and the redact list is
 * the second line of defence for config objects logged whole by mistake. Lines go to stdout, and
 * also to a file (`logging.file.path`) and to further streams (recent logs in Redis) when given.
 */
export type { Logger }

export type LoggerOptions = {
  level?: string
  file?: string
  streams?: DestinationStream[]
}

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.K2S_LOG_LEVEL ?? 'info'
  const options = {
    name,
    level,
    redact: { paths: ['passWord', 'password', '*.passWord', '*.password', 'config.passWord', 'authorization', '*.authorization'], censor: '[redacted]' },
  }
  const extra = [...(opts.streams ?? [])]
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true })
    if (existsSync(opts.file)) chmodSync(opts.file, 0o600)
    // The log names instances, hosts and users: readable by its owner only.
    extra.push(pino.destination({ dest: opts.file, append: true, sync: false, mode: 0o600 }))
  }
  if (extra.length === 0) return pino(options)
  return pino(options, pino.multistream([{ level: 'trace', stream: process.stdout }, ...extra.map((stream) => ({ level: 'trace' as const, stream }))]))
}
