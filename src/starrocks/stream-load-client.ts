import http from 'node:http'
import { Agent, request } from 'undici'
import { classifyFailure, PermanentLoadError, RetryableLoadError, type StreamLoadError } from './stream-load-errors.ts'

/**
 * Stream Load over HTTP, read strictly (reference: starrocks-stream-load.md §1–§4).
 *
 * The FE hop goes through node:http because it must carry `Expect: 100-continue` and undici
 * refuses that header ("expect header not supported"). The FE answers 307 before any body is
 * sent, so the body crosses the network once, to the BE, over undici's keep-alive pool. We follow
 * the redirect ourselves: generic redirect handling drops `Authorization` across origins (§8.1).
 */
export type StarRocksHttp = {
  feHost: string
  feHttpPort: number
  user: string
  password: string
}

export type LoadRequest = {
  database: string
  table: string
  label: string
  /** A JSON array of row objects (values as strings, `__op` 0/1 on Primary Key tables). */
  body: Buffer
  /** The `columns` header, when some values are converted by StarRocks on the way in (§2.1). */
  columns?: string
}

export type LoadOutcome = {
  /** `Success`, `Publish Timeout` (committed, visible soon), or `Label Already Exists` (loaded before). */
  status: 'Success' | 'Publish Timeout' | 'Label Already Exists'
  txnId: number
  loadedRows: number
  loadBytes: number
  loadTimeMs: number
}

export type StreamLoadClientOptions = {
  /** Whole-request budget per hop; also sent as the server-side load `timeout`. */
  timeoutMs?: number
  /** How long a label reported RUNNING is polled before the load counts as failed-retryable. */
  labelWaitMs?: number
  labelPollMs?: number
  /** Reject unconvertible values (filtered, then quarantined) instead of loading them as NULL (§6.3). */
  strictMode?: boolean
}

type LoadReply = Record<string, unknown> & { Status: string; Message?: string }

export type StreamLoadClient = {
  load(req: LoadRequest): Promise<LoadOutcome>
  close(): Promise<void>
}

export function createStreamLoadClient(target: StarRocksHttp, options: StreamLoadClientOptions = {}): StreamLoadClient {
  const timeoutMs = options.timeoutMs ?? 60_000
  const labelWaitMs = options.labelWaitMs ?? 60_000
  const labelPollMs = options.labelPollMs ?? 1_000
  const strictMode = options.strictMode ?? true
  const authorization = 'Basic ' + Buffer.from(`${target.user}:${target.password}`).toString('base64')
  const backends = new Agent({ keepAliveTimeout: 30_000, connections: 16 })

  function loadHeaders(req: LoadRequest): Record<string, string> {
    return {
      ...(req.columns ? { columns: req.columns } : {}),
      authorization,
      label: req.label,
      format: 'json',
      strip_outer_array: 'true',
      strict_mode: String(strictMode),
      timeout: String(Math.max(1, Math.ceil(timeoutMs / 1000))),
    }
  }

  async function loadOnce(req: LoadRequest): Promise<LoadReply> {
    const what = `stream load ${req.database}.${req.table} label ${req.label}`
    const path = `/api/${encodeURIComponent(req.database)}/${encodeURIComponent(req.table)}/_stream_load`
    const headers = loadHeaders(req)
    const fe = await askFrontend(target, path, headers, req.body, timeoutMs, what)
    if (fe.kind === 'reply') return fe.reply
    const be = new URL(fe.location)
    if (be.protocol !== 'http:') throw new RetryableLoadError({ status: 'HTTP 307', message: `redirect to unsupported scheme ${be.protocol}` }, what)
    try {
      const res = await request(be, {
        method: 'PUT',
        headers: { ...headers, 'content-length': String(req.body.length) },
        body: req.body,
        dispatcher: backends,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      const text = await res.body.text()
      if (res.statusCode !== 200) {
        throw new RetryableLoadError({ status: `HTTP ${res.statusCode}`, message: text.slice(0, 500), httpStatus: res.statusCode }, what)
      }
      return parseReply(text, what)
    } catch (err) {
      throw asLoadError(err, what)
    }
  }

  async function labelState(req: LoadRequest): Promise<string> {
    const what = `get_load_state ${req.database} label ${req.label}`
    const path = `/api/${encodeURIComponent(req.database)}/get_load_state?label=${encodeURIComponent(req.label)}`
    let url = new URL(`http://${target.feHost}:${target.feHttpPort}${path}`)
    // A follower FE redirects to the leader (§3.5); follow a few hops, keeping Authorization.
    for (let hop = 0; hop < 3; hop++) {
      try {
        const res = await request(url, { method: 'GET', headers: { authorization }, dispatcher: backends, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
        const text = await res.body.text()
        if (res.statusCode === 307 && res.headers.location) {
          url = new URL(String(res.headers.location))
          continue
        }
        if (res.statusCode !== 200) throw new RetryableLoadError({ status: `HTTP ${res.statusCode}`, message: text.slice(0, 500), httpStatus: res.statusCode }, what)
        const body = JSON.parse(text) as { state?: unknown; status?: unknown; msg?: unknown }
        if (typeof body.state === 'string') return body.state
        throw new RetryableLoadError({ status: String(body.status), message: String(body.msg) }, what)
      } catch (err) {
        throw asLoadError(err, what)
      }
    }
    throw new RetryableLoadError({ status: 'HTTP 307', message: 'too many redirects' }, what)
  }

  async function load(req: LoadRequest): Promise<LoadOutcome> {
    const what = `stream load ${req.database}.${req.table} label ${req.label}`
    // Without a valid label StarRocks invents one, and a retry would load the rows twice.
    if (!validLabel.test(req.label)) {
      throw new PermanentLoadError({ status: 'invalid label', message: 'a label is 1-128 of letters, digits, "_" and "-"' }, what, 'bad-request')
    }
    const deadline = Date.now() + labelWaitMs
    for (;;) {
      const reply = await loadOnce(req)
      switch (reply.Status) {
        case 'Success':
        case 'Publish Timeout':
          return outcome(reply.Status, reply)
        case 'Label Already Exists': {
          if (reply.ExistingJobStatus === 'FINISHED') return outcome(reply.Status, reply)
          // RUNNING: an earlier attempt of ours is still in flight. Its outcome decides: visible
          // means done; aborted or forgotten frees the label for another try (§3.4).
          const state = await waitForLabel(req, deadline)
          if (state === 'VISIBLE' || state === 'COMMITTED') return outcome('Label Already Exists', reply)
          if (Date.now() >= deadline) {
            throw new RetryableLoadError({ status: 'Label Already Exists', message: `label is still ${state} after ${labelWaitMs} ms` }, what)
          }
          await sleep(labelPollMs)
          continue
        }
        default: {
          const failure = { status: reply.Status, message: String(reply.Message ?? ''), errorUrl: stringField(reply, 'ErrorURL') }
          const rejected = failure.errorUrl ? await readErrorLog(failure.errorUrl, backends, timeoutMs) : []
          throw classifyFailure(failure, what, rejected)
        }
      }
    }
  }

  async function waitForLabel(req: LoadRequest, deadline: number): Promise<string> {
    let state = 'UNKNOWN'
    while (Date.now() < deadline) {
      state = await labelState(req)
      if (state !== 'PREPARE' && state !== 'PREPARED') return state
      await sleep(labelPollMs)
    }
    return state
  }

  return { load, close: () => backends.close() }
}

const validLabel = /^[-\w]{1,128}$/

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type FrontendAnswer = { kind: 'redirect'; location: string } | { kind: 'reply'; reply: LoadReply }

/**
 * Sends the headers with `Expect: 100-continue` and waits. A FE answers 307 (or an error) without
 * asking for the body; a BE addressed directly answers 100 Continue, and then gets the body here.
 */
function askFrontend(
  target: StarRocksHttp,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
  what: string,
): Promise<FrontendAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: target.feHost,
      port: target.feHttpPort,
      method: 'PUT',
      path,
      agent: false,
      headers: { ...headers, expect: '100-continue', 'content-length': String(body.length) },
      timeout: timeoutMs,
    })
    const fail = (err: unknown) => {
      req.destroy()
      reject(asLoadError(err, what))
    }
    req.on('timeout', () => fail(new RetryableLoadError({ status: 'timeout', message: `no answer from FE within ${timeoutMs} ms` }, what)))
    req.on('error', fail)
    req.on('continue', () => req.end(body))
    req.on('response', (res) => {
      if (res.statusCode === 307) {
        const location = res.headers.location
        res.resume()
        req.destroy()
        if (!location) return reject(new RetryableLoadError({ status: 'HTTP 307', message: 'redirect without Location' }, what))
        return resolve({ kind: 'redirect', location })
      }
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', fail)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        req.destroy()
        if (res.statusCode === 401) {
          return reject(new PermanentLoadError({ status: 'HTTP 401', message: authMessage(text), httpStatus: 401 }, what, 'auth'))
        }
        if (res.statusCode !== 200) {
          return reject(new RetryableLoadError({ status: `HTTP ${res.statusCode}`, message: text.slice(0, 500), httpStatus: res.statusCode }, what))
        }
        try {
          resolve({ kind: 'reply', reply: parseReply(text, what) })
        } catch (err) {
          reject(err)
        }
      })
    })
    req.flushHeaders()
  })
}

function parseReply(text: string, what: string): LoadReply {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new RetryableLoadError({ status: 'unparseable reply', message: text.slice(0, 200) }, what)
  }
  if (typeof body !== 'object' || body === null || typeof (body as LoadReply).Status !== 'string') {
    throw new RetryableLoadError({ status: 'unparseable reply', message: text.slice(0, 200) }, what)
  }
  return body as LoadReply
}

function authMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { msg?: unknown; message?: unknown }
    return String(body.msg ?? body.message ?? text)
  } catch {
    return text.slice(0, 200)
  }
}

function outcome(status: LoadOutcome['status'], reply: LoadReply): LoadOutcome {
  return {
    status,
    txnId: numberField(reply, 'TxnId'),
    loadedRows: numberField(reply, 'NumberLoadedRows'),
    loadBytes: numberField(reply, 'LoadBytes'),
    loadTimeMs: numberField(reply, 'LoadTimeMs'),
  }
}

function numberField(reply: LoadReply, key: string): number {
  const value = reply[key]
  return typeof value === 'number' ? value : 0
}

function stringField(reply: LoadReply, key: string): string | undefined {
  const value = reply[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

// StarRocks writes a bounded log; this bound only guards against a runaway one.
const errorLogLines = 1000

/** The rejected rows with their reasons, so each can be quarantined alone (§3.1 ErrorURL). */
async function readErrorLog(url: string, dispatcher: Agent, timeoutMs: number): Promise<string[]> {
  try {
    const res = await request(url, { method: 'GET', dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const text = await res.body.text()
    if (res.statusCode !== 200) return []
    return text.split('\n').filter((line) => line.trim() !== '').slice(0, errorLogLines)
  } catch {
    return []
  }
}

function asLoadError(err: unknown, what: string): StreamLoadError {
  if (err instanceof RetryableLoadError || err instanceof PermanentLoadError) return err
  const e = err as NodeJS.ErrnoException
  const timeout = e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'ETIMEDOUT'
  return new RetryableLoadError({ status: timeout ? 'timeout' : 'network', message: `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim() }, what)
}
