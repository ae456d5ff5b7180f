import { pino, type Logger } from 'pino'

/**
 * JSON lines for machines. Secrets and row data never reach a log call, and the redact list is
 * the second line of defence for config objects logged whole by mistake.
 */
export type { Logger }

export function createLogger(name: string, level = process.env.K2S_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['passWord', 'password', '*.passWord', '*.password', 'config.passWord', 'authorization', '*.authorization'], censor: '[redacted]' },
  })
}
