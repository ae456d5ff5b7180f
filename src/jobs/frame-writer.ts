import net from 'node:net'
import tls from 'node:tls'
import type { Redis } from 'ioredis'
import { framePieces } from './job-payload.ts'
import type { BatchMessage } from './load-job.ts'

/**
 * Writes batch frames into Redis straight from the Kafka messages' bytes. ioredis copies every
 * argument of a command into one buffer before it writes it: a frame cost the fetcher two whole
 * copies (encoding it, then ioredis') and twice its size in garbage, about 7 MB for a 10 000-row
 * canal batch, which is what kept a 16-partition fetcher above 300 MB (docs/benchmarks.md). Here
 * a `SET` goes to the socket as the frame's pieces (framePieces), the messages' bytes as they are.
 *
 * A connection of its own, opened with the options of `redis` (host, port, TLS, user, password,
 * database) and opened again after any failure; it only ever sends `AUTH`, `SELECT` and `SET`, whose
 * replies are one line each.
 */
export type FrameWriter = {
  put(key: string, messages: readonly BatchMessage[]): Promise<void>
  close(): void
}

type Pending = { resolve(): void; reject(err: Error): void }

const crlf = '\r\n'

export function frameWriter(redis: Redis): FrameWriter {
  let socket: net.Socket | null = null
  let pending: Pending[] = []
  let closed = false

  const fail = (err: Error) => {
    socket?.destroy()
    socket = null
    const waiting = pending
    pending = []
    for (const p of waiting) p.reject(err)
  }

  function connect(): net.Socket {
    const o = redis.options
    // As ioredis connects (its StandaloneConnector); a rediss:// URL sets `tls: true`.
    const target = o.path ? { path: o.path } : { host: o.host ?? '127.0.0.1', port: o.port ?? 6379, family: o.family }
    const s = o.tls ? tls.connect({ ...(o.tls === (true as unknown) ? {} : o.tls), ...target }) : net.connect(target)
    s.setNoDelay(true)
    s.setKeepAlive(true, 30_000)
    let text = ''
    s.setEncoding('latin1')
    s.on('data', (chunk: string) => {
      text += chunk
      let end: number
      while ((end = text.indexOf(crlf)) !== -1) {
        const line = text.slice(0, end)
        text = text.slice(end + 2)
        const p = pending.shift()
        if (line.startsWith('-')) p?.reject(new Error(`Redis refused a batch frame: ${line.slice(1)}`))
        else p?.resolve()
      }
    })
    s.on('error', (err) => fail(new Error(`Redis connection for batch frames: ${err.message}`)))
    s.on('close', () => {
      if (socket === s) fail(new Error('Redis closed the connection for batch frames'))
    })
    // Replies come in order; a refused AUTH or SELECT fails every SET behind it.
    const handshake: string[][] = []
    if (o.password) handshake.push(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password])
    if (o.db) handshake.push(['SELECT', String(o.db)])
    for (const args of handshake) {
      s.write(command(args))
      pending.push({ resolve() {}, reject: (err) => fail(err) })
    }
    return s
  }

  return {
    put(key, messages) {
      if (closed) return Promise.reject(new Error('the batch frame writer is closed'))
      socket ??= connect()
      const { pieces, size } = framePieces(messages)
      const s = socket
      return new Promise<void>((resolve, reject) => {
        pending.push({ resolve, reject })
        s.cork()
        s.write(`*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${size}\r\n`)
        for (const piece of pieces) s.write(piece)
        s.write(crlf)
        s.uncork()
      })
    },
    close() {
      closed = true
      fail(new Error('the batch frame writer is closed'))
    },
  }
}

function command(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`
}
