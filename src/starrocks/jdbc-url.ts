import { say, type Said } from '../messages.ts'

/**
 * The StarRocks FE's MySQL port as a JDBC URL, the way seed users write it:
 * `jdbc:mysql://fe:9030/?useSSL=false&serverTimezone=GMT`. K2S names every table with its database,
 * so the URL carries none. Of the query string, what applies to K2S' connection is used (TLS and
 * the connect timeout); the rest (serverTimezone, characterEncoding, … Connector/J has hundreds)
 * concerns Java's driver, not a reader of information_schema, and is accepted and left alone.
 */
export type JdbcTarget = {
  host: string
  port: number
  /** Options for mysql2 taken from the query string. */
  mysql: { ssl?: { rejectUnauthorized: boolean }; connectTimeout?: number }
  /** Query parameters that do not apply to K2S, as written. */
  ignored: string[]
}

/** What is wrong, as a message with its code for the console's language. */
export class JdbcUrlError extends Error {
  constructor(readonly said: Said) {
    super(said.message)
  }
}

const sslModes = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const

export function parseJdbcUrl(jdbcUrl: string): JdbcTarget {
  const match = /^jdbc:mysql:\/\/([^:/?#\s]+)(?::(\d+))?(\/[^?#]*)?(?:\?([^#]*))?$/.exec(jdbcUrl.trim())
  if (!match) throw new JdbcUrlError(say('jdbc.shape'))
  const [, host, port, path = '', query = ''] = match
  const database = path.replace(/^\//, '')
  if (database !== '') throw new JdbcUrlError(say('jdbc.database', { database: decodeURIComponent(database), url: `jdbc:mysql://${host}${port ? `:${port}` : ''}/` }))
  const params = new URLSearchParams(query)
  const flag = (key: string): boolean | undefined => {
    const value = params.get(key)
    if (value === null) return undefined
    if (!/^(true|false)$/i.test(value)) throw new JdbcUrlError(say('jdbc.flag', { key, value }))
    return value.toLowerCase() === 'true'
  }
  const mysql: JdbcTarget['mysql'] = {}
  const useSsl = flag('useSSL') ?? flag('requireSSL')
  const verify = flag('verifyServerCertificate')
  const sslMode = params.get('sslMode')?.toUpperCase()
  if (sslMode !== undefined && !(sslModes as readonly string[]).includes(sslMode)) throw new JdbcUrlError(say('jdbc.ssl_mode', { value: params.get('sslMode') ?? '', modes: sslModes.join(', ') }))
  // sslMode wins over the older useSSL, as in Connector/J 8. PREFERRED is plain TCP here: mysql2
  // cannot fall back, and a connection that silently downgrades is no promise worth making.
  const tls = sslMode ? sslMode !== 'DISABLED' && sslMode !== 'PREFERRED' : useSsl === true
  if (tls) mysql.ssl = { rejectUnauthorized: sslMode ? sslMode.startsWith('VERIFY') : verify === true }
  const timeout = params.get('connectTimeout')
  if (timeout !== null) {
    if (!/^\d+$/.test(timeout) || Number(timeout) === 0) throw new JdbcUrlError(say('jdbc.connect_timeout', { value: timeout }))
    mysql.connectTimeout = Number(timeout)
  }
  const used = new Set(['useSSL', 'requireSSL', 'verifyServerCertificate', 'sslMode', 'connectTimeout'])
  return { host: host!, port: port ? Number(port) : 9030, mysql, ignored: [...params.keys()].filter((k) => !used.has(k)) }
}
