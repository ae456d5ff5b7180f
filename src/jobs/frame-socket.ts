import net from 'node:net'
import tls from 'node:tls'
import type { Redis } from 'ioredis'
import { framePieces } from './job-payload.ts'
import type { BatchMessage } from './load-job.ts'

/**
 * Batch frames in and out of Redis without ioredis' whole-frame copies, on a connection of their own.
 *
 * `put` (the fetcher): ioredis copies every argument of a command into one buffer before it writes
 * it, so a frame cost two whole copies (encoding it, then ioredis') and twice its size in garbage,
 * about 7 MB for a 10 000-row canal batch, which kept a 16-partition fetcher above 300 MB
 * (docs/benchmarks.md). Here a `SET` goes to the socket as the frame's pieces (framePieces), the
 * messages' bytes as they are.
 *
 * `get` (the loader): ioredis' parser keeps every 64 KB chunk the socket read and joins them into
 * the value, two allocations of the frame's size, each new memory the kernel faults in page by
 * page. Here the socket reads into one buffer that is reused, and the frame is copied from it into
 * a buffer of its exact size, allocated once the reply says the size: reading 360 MB of frames took
 * 0.1 s of CPU instead of 0.8-1.1 s (docs/benchmarks.md).
 *
 * Opened with the options of `redis` (host, port, TLS, user, password, database) and opened again
 * after any failure. It sends only `AUTH`, `SELECT`, `SET` and `GET`; replies come in order.
 */
export type FrameSocket = {
  put(key: string, messages: readonly BatchMessage[]): Promise<void>
  /** The frame's bytes, null when the key does not exist. */
  get(key: string): Promise<Buffer | null>
  close(): void
}

type Pending = { resolve(value: Buffer | null): void; reject(err: Error): void }

const crlf = '\r\n'
const newline = 0x0a
const readBufferBytes = 256 * 1024

export function frameSocket(redis: Redis): FrameSocket {
  let socket: net.Socket | null = null
  const readBuffer = Buffer.allocUnsafe(readBufferBytes)
  let pending: Pending[] = []
  let closed = false
  // The reply being read: a header line in pieces, then a bulk value and its closing CRLF.
  let line = ''
  let value: Buffer | null = null
  let filled = 0
  let skip = 0

  const fail = (err: Error) => {
    socket?.destroy()
    socket = null
    line = ''
    value = null
    skip = 0
    const waiting = pending
    pending = []
    for (const p of waiting) p.reject(err)
  }

  function reply(text: string): void {
    const size = text.startsWith('$') ? Number(text.slice(1)) : -1
    if (size >= 0) {
      value = Buffer.allocUnsafe(size)
      filled = 0
      if (size === 0) done()
      return
    }
    const p = pending.shift()
    if (text.startsWith('-')) p?.reject(new Error(`Redis refused a batch frame command: ${text.slice(1)}`))
    else p?.resolve(null)
  }

  function done(): void {
    const got = value!
    value = null
    skip = 2
    pending.shift()?.resolve(got)
  }

  // `chunk` is only valid during this call (it is the reused read buffer): whatever outlives it is copied.
  function consume(chunk: Buffer, end: number): void {
    let i = 0
    while (i < end) {
      if (value) {
        const n = Math.min(value.length - filled, end - i)
        chunk.copy(value, filled, i, i + n)
        filled += n
        i += n
        if (filled === value.length) done()
      } else if (skip > 0) {
        const n = Math.min(skip, end - i)
        skip -= n
        i += n
      } else {
        const at = chunk.indexOf(newline, i)
        if (at === -1 || at >= end) {
          line += chunk.toString('latin1', i, end)
          return
        }
        const text = line + chunk.toString('latin1', i, at)
        line = ''
        i = at + 1
        reply(text.slice(0, -1))
      }
    }
  }

  function connect(): net.Socket {
    const o = redis.options
    // As ioredis connects (its StandaloneConnector); a rediss:// URL sets `tls: true`.
    const target = o.path ? { path: o.path } : { host: o.host ?? '127.0.0.1', port: o.port ?? 6379, family: o.family }
    // A TLS socket cannot read into a buffer of ours: its chunks are copied the same way.
    const s = o.tls
      ? tls.connect({ ...(o.tls === (true as unknown) ? {} : o.tls), ...target }).on('data', (chunk: Buffer) => consume(chunk, chunk.length))
      : net.connect({ ...target, onread: { buffer: readBuffer, callback: (n) => (consume(readBuffer, n), true) } })
    s.setNoDelay(true)
    s.setKeepAlive(true, 30_000)
    s.on('error', (err) => fail(new Error(`Redis connection for batch frames: ${err.message}`)))
    s.on('close', () => {
      if (socket === s) fail(new Error('Redis closed the connection for batch frames'))
    })
    // A refused AUTH or SELECT fails every command behind it.
    const handshake: string[][] = []
    if (o.password) handshake.push(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password])
    if (o.db) handshake.push(['SELECT', String(o.db)])
    for (const args of handshake) {
      s.write(command(args))
      pending.push({ resolve() {}, reject: (err) => fail(err) })
    }
    return s
  }

  function send(write: (s: net.Socket) => void): Promise<Buffer | null> {
    if (closed) return Promise.reject(new Error('the batch frame connection is closed'))
    socket ??= connect()
    const s = socket
    return new Promise<Buffer | null>((resolve, reject) => {
      pending.push({ resolve, reject })
      write(s)
    })
  }

  return {
    async put(key, messages) {
      const { pieces, size } = framePieces(messages)
      await send((s) => {
        s.cork()
        s.write(`*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${size}\r\n`)
        for (const piece of pieces) s.write(piece)
        s.write(crlf)
        s.uncork()
      })
    },
    get: (key) => send((s) => s.write(command(['GET', key]))),
    close() {
      closed = true
      fail(new Error('the batch frame connection is closed'))
    },
  }
}

function command(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`
}
