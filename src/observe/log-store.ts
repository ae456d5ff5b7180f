import type { Redis } from 'ioredis'
import { z } from 'zod'
import type { RedisKeys } from '../redis-keys.ts'

/**
 * Recent log lines in Redis, so the console can show what a node (or an instance, on whichever
 * node ran it) did lately without shell access. The sink is a pino destination: it must never
 * throw into, block, or grow without bound inside the logger, so lines are buffered, sent in
 * batches, and dropped (and counted) when Redis cannot keep up. Redis holds capped lists only.
 */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
export type LogLevel = (typeof logLevels)[number]
const levelValues: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

export type LogEntry = {
  /** ms since the epoch, as pino wrote it. */
  time: number
  level: LogLevel
  msg: string
  node?: string
  instance?: string
  /** Everything else on the line (name, role, err, …). */
  fields: Record<string, unknown>
}

export type LogSinkOptions = {
  /** Lines kept per node and per instance (default 1000). */
  keep?: number
  flushMs?: number
  batchLines?: number
  /** Lines buffered or in flight at most; beyond, new lines are dropped (default 5000). */
  maxBuffered?: number
  maxLineBytes?: number
  /** How long close() waits for Redis before giving the rest up (default 2 s). */
  closeTimeoutMs?: number
}

export type LogSink = {
  stream: { write(line: string): void }
  close(): Promise<void>
  stats(): { buffered: number; dropped: number }
}

type Prepared = { line: string; instance?: string }

// What a K2S instance name may be (config.ts), a little wider: any other value is no key of ours.
const instanceName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export function redisLogSink(redis: Redis, keys: RedisKeys, node: string, opts: LogSinkOptions = {}): LogSink {
  const keep = opts.keep ?? 1000
  const flushMs = opts.flushMs ?? 200
  const batchLines = opts.batchLines ?? 100
  const maxBuffered = opts.maxBuffered ?? 5000
  const maxLineBytes = opts.maxLineBytes ?? 8192
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2000

  let buffer: Prepared[] = []
  let inFlight = 0
  let dropped = 0
  // Dropped lines not yet told about in Redis itself, where the reader looks.
  let unreported = 0
  let flushing: Promise<void> | undefined
  let due: { timer: NodeJS.Timeout; soon: boolean } | undefined
  let closed = false
  let closing: Promise<void> | undefined

  const drop = (n: number) => {
    dropped += n
    unreported += n
  }

  function schedule() {
    if (closed || flushing || buffer.length === 0) return
    const soon = buffer.length >= batchLines
    if (due && (due.soon || !soon)) return
    if (due) clearTimeout(due.timer)
    const timer = setTimeout(() => {
      due = undefined
      void flush()
    }, soon ? 0 : flushMs)
    // Logging alone must not keep a process alive; close() sends what is left.
    timer.unref()
    due = { timer, soon }
  }

  // One MULTI at a time: while Redis hangs, lines wait in the (capped) buffer, not in ioredis's queue.
  function flush(): Promise<void> {
    if (flushing || buffer.length === 0) return flushing ?? Promise.resolve()
    const batch = buffer
    const notice = unreported
    buffer = []
    inFlight = batch.length
    flushing = send(batch, notice)
      .then(() => { unreported -= notice }, () => drop(batch.length))
      .finally(() => {
        inFlight = 0
        flushing = undefined
        schedule()
      })
    return flushing
  }

  async function send(batch: Prepared[], notice: number) {
    const lines = batch.map((p) => p.line)
    if (notice > 0) lines.push(droppedNotice(node, notice))
    const byInstance = new Map<string, string[]>()
    for (const p of batch) if (p.instance) byInstance.set(p.instance, [...(byInstance.get(p.instance) ?? []), p.line])
    // LPUSH in time order leaves the newest at the head; only the last `keep` can survive the trim.
    const multi = redis.multi().lpush(keys.nodeLog(node), ...lines.slice(-keep)).ltrim(keys.nodeLog(node), 0, keep - 1)
    for (const [instance, own] of byInstance) multi.lpush(keys.instanceLog(instance), ...own.slice(-keep)).ltrim(keys.instanceLog(instance), 0, keep - 1)
    const replies = await multi.exec()
    if (!replies) throw new Error('log batch aborted')
    for (const [err] of replies) if (err) throw err
  }

  const stream = {
    write(raw: string) {
      try {
        if (closed || buffer.length + inFlight >= maxBuffered) return drop(1)
        buffer.push(prepare(raw, node, maxLineBytes))
        schedule()
      } catch {
        drop(1)
      }
    },
  }

  async function close() {
    if (closing) return closing
    closed = true
    if (due) clearTimeout(due.timer)
    due = undefined
    closing = (async () => {
      const drained = (async () => {
        while (flushing || buffer.length > 0) await (flushing ?? flush())
        return true
      })()
      let timer: NodeJS.Timeout | undefined
      const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), closeTimeoutMs)))
      const done = await Promise.race([drained, gaveUp])
      clearTimeout(timer)
      if (!done) {
        drop(buffer.length)
        buffer = []
      }
    })()
    return closing
  }

  return { stream, close, stats: () => ({ buffered: buffer.length + inFlight, dropped }) }
}

/** The line as pino wrote it, unless it lacks the node (instance lists mix nodes) or is too long. */
function prepare(raw: string, node: string, maxBytes: number): Prepared {
  const text = raw.endsWith('\n') ? raw.slice(0, -1) : raw
  let obj = parseObject(text)
  let line = text
  if (!obj) {
    // Not pino's JSON (another writer on the stream): keep it readable as a message.
    obj = { level: levelValues.info, time: Date.now(), node, msg: text }
    line = JSON.stringify(obj)
  } else if (obj.node === undefined) {
    obj = { ...obj, node }
    line = JSON.stringify(obj)
  }
  const instance = typeof obj.instance === 'string' && instanceName.test(obj.instance) ? obj.instance : undefined
  if (Buffer.byteLength(line) > maxBytes) line = truncate(obj, node, instance, maxBytes)
  return instance ? { line, instance } : { line }
}

/**
 * Cuts `msg` (a StarRocks error body, a stack: what usually runs long) and marks the line
 * `truncated`; when the other fields alone are too big, keeps only time, level, node and instance.
 */
function truncate(obj: Record<string, unknown>, node: string, instance: string | undefined, maxBytes: number): string {
  const msg = typeof obj.msg === 'string' ? obj.msg : ''
  const core = { time: obj.time, level: obj.level, node, ...(instance ? { instance } : {}), fieldsDropped: true }
  const render = (base: Record<string, unknown>, kept: number) => JSON.stringify({ ...base, msg: kept < msg.length ? `${msg.slice(0, kept)}…` : msg, truncated: true })
  const fits = (base: Record<string, unknown>, kept: number) => Buffer.byteLength(render(base, kept)) <= maxBytes
  for (const base of [obj, core]) {
    if (!fits(base, 0)) continue
    // The longest prefix that fits: characters cost 1 to 6 bytes once escaped, so search for it.
    let [lo, hi] = [0, msg.length]
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (fits(base, mid)) lo = mid
      else hi = mid - 1
    }
    return render(base, lo)
  }
  return JSON.stringify({ ...core, msg: '…', truncated: true })
}

function droppedNotice(node: string, count: number): string {
  const msg = `${count} log lines were not stored here: Redis was unreachable or too slow`
  return JSON.stringify({ level: levelValues.warn, time: Date.now(), node, msg, droppedLines: count })
}

/** The query of the logs routes; the API answers a 400 naming the field when it does not fit. */
export const minimumLevels = ['debug', 'info', 'warn', 'error'] as const
export const recentLogsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('newest lines to return, 1-1000 (default 200)'),
  level: z.enum(minimumLevels).optional().describe('the lowest level to return'),
})

export const logEntrySchema = z.object({
  time: z.number(),
  level: z.enum(logLevels),
  msg: z.string(),
  node: z.string().optional(),
  instance: z.string().optional(),
  fields: z.record(z.string(), z.unknown()),
})

// A level filter can pass over most lines, so it reads further back, but never unbounded.
const maxScan = 10_000

/** Newest first; lines that do not parse are skipped. */
export async function recentLogs(
  redis: Redis,
  keys: RedisKeys,
  target: { node: string } | { instance: string },
  opts: { limit?: number; level?: (typeof minimumLevels)[number] } = {},
): Promise<LogEntry[]> {
  const limit = Number.isFinite(opts.limit) ? Math.min(Math.max(1, Math.trunc(opts.limit!)), 1000) : 200
  const min = levelValues[opts.level ?? 'trace']
  const key = 'node' in target ? keys.nodeLog(target.node) : keys.instanceLog(target.instance)
  const lines = await redis.lrange(key, 0, (opts.level ? maxScan : limit) - 1)
  const entries: LogEntry[] = []
  for (const line of lines) {
    const entry = parseLogLine(line)
    if (!entry || levelValues[entry.level] < min) continue
    entries.push(entry)
    if (entries.length === limit) break
  }
  return entries
}

/** One pino JSON line as the API shows it; null when it is not one. */
export function parseLogLine(line: string): LogEntry | null {
  const obj = parseObject(line)
  const level = obj && levelOf(obj.level)
  if (!obj || !level) return null
  const { time, level: _, msg, node, instance, ...fields } = obj
  const at = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN
  const entry: LogEntry = { time: Number.isFinite(at) ? at : 0, level, msg: typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg), fields }
  // A node or instance that is not a name stays a plain field.
  if (typeof node === 'string') entry.node = node
  else if (node !== undefined) fields.node = node
  if (typeof instance === 'string') entry.instance = instance
  else if (instance !== undefined) fields.instance = instance
  return entry
}

/** pino writes numbers (custom levels fall to the label below them); a formatter may write labels. */
function levelOf(value: unknown): LogLevel | null {
  if (typeof value === 'string') return (logLevels as readonly string[]).includes(value) ? (value as LogLevel) : null
  if (typeof value !== 'number' || value < levelValues.trace) return null
  return [...logLevels].reverse().find((l) => levelValues[l] <= value) ?? null
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
  } catch {
    return null
  }
}
