/**
 * Stream Load failures, typed so the loader decides retry vs quarantine with one `instanceof`
 * instead of matching strings in several places. Messages carry StarRocks' own words and never
 * a credential.
 */
export type StreamLoadFailure = {
  /** `Status` of the reply (`Fail`, `FAILED`, `Label Already Exists`), or `HTTP <code>`, `timeout`, `network`. */
  status: string
  message: string
  httpStatus?: number
  errorUrl?: string
}

export class StreamLoadError extends Error {
  readonly status: string
  readonly serverMessage: string
  readonly httpStatus?: number
  readonly errorUrl?: string

  constructor(failure: StreamLoadFailure, what: string) {
    super(`${what}: ${failure.status}: ${failure.message}`)
    this.status = failure.status
    this.serverMessage = failure.message
    this.httpStatus = failure.httpStatus
    this.errorUrl = failure.errorUrl
  }
}

/** The same request may succeed later: StarRocks busy, down, slow, or the outcome is unknown. */
export class RetryableLoadError extends StreamLoadError {
  override readonly name = 'RetryableLoadError'
}

/**
 * Retrying the same rows cannot succeed until someone changes something (the table, the data or
 * the credentials). `reason` lets callers quarantine data problems but stop on config problems.
 */
export class PermanentLoadError extends StreamLoadError {
  override readonly name = 'PermanentLoadError'
  readonly reason: PermanentReason
  /** First lines of the ErrorURL log, when StarRocks filtered rows. */
  readonly rejectedRows: string[]

  constructor(failure: StreamLoadFailure, what: string, reason: PermanentReason, rejectedRows: string[] = []) {
    super(failure, what)
    this.reason = reason
    this.rejectedRows = rejectedRows
  }
}

export type PermanentReason = 'auth' | 'unknown-table' | 'rejected-data' | 'bad-request'

// §4.6 of the Stream Load reference lists what the official SDK refuses to retry. We differ on
// `current running txns on db`: for a loader that must never skip, a full transaction table is a
// reason to wait, not to give up.
const permanentMessages: [RegExp, PermanentReason][] = [
  [/access denied|no valid basic authorization|need auth information/i, 'auth'],
  [/unknown database|unknown table/i, 'unknown-table'],
  [/too many filtered rows|primary key size exceed the limit|all partitions have no load data/i, 'rejected-data'],
  [/only primary key table support partial update|label format error|strip_outer_array|unknown data format|no 100-continue header|no (database|table) selected/i, 'bad-request'],
]

export function classifyFailure(failure: StreamLoadFailure, what: string, rejectedRows: string[] = []): StreamLoadError {
  for (const [pattern, reason] of permanentMessages) {
    if (pattern.test(failure.message)) return new PermanentLoadError(failure, what, reason, rejectedRows)
  }
  return new RetryableLoadError(failure, what)
}
