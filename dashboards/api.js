import { said } from './i18n.js'

/**
 * The console's only way to the admin API: JSON in and out, the session cookie along. A refusal
 * becomes an ApiError carrying the API's message and its `issues[]` (one per field), which forms
 * show next to their inputs.
 */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {({path: string} & import('./i18n.js').Said)[]} issues @param {Record<string, any>} [body] */
  constructor(status, message, issues, body = {}) {
    super(message)
    this.status = status
    this.issues = issues
    /** The whole answer (its `code` and `params`, when it has them). */
    this.body = body
  }
}

/** @type {() => void} */
let onLoggedOut = () => {}
/** @param {() => void} handler called when a call finds the session gone */
export function whenLoggedOut(handler) {
  onLoggedOut = handler
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { error: text }
  }
  if (res.ok) return data
  if (res.status === 401 && path !== '/api/login') onLoggedOut()
  // A refusal with a code reads in the page's language; the server's English is the fallback.
  const message = data?.code ? said({ code: data.code, params: data.params, message: data.error }) : data?.error ?? `HTTP ${res.status}`
  throw new ApiError(res.status, message, data?.issues ?? [], data ?? {})
}

export const get = (/** @type {string} */ path) => api('GET', path)
/** @param {string} path @param {unknown} [body] */
export const post = (path, body) => api('POST', path, body ?? {})
export const put = (/** @type {string} */ path, /** @type {unknown} */ body) => api('PUT', path, body)
export const del = (/** @type {string} */ path) => api('DELETE', path)

/** A name as one URL path segment. */
export const seg = (/** @type {string} */ name) => encodeURIComponent(name)
