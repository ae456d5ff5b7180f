/**
 * Replies of the Transaction Stream Load API: the BE's `to_resp_json` with Thrift status names
 * (§5.3) and the FE's TransactionResult with ActionStatus names (§5.2).
 */

/** Thrift `TStatusCode` names the BE puts in `Status` (§5.3). */
export type TxnStatusCode =
  | 'OK'
  | 'LABEL_ALREADY_EXISTS'
  | 'TXN_NOT_EXISTS'
  | 'TXN_IN_PROCESSING'
  | 'INVALID_ARGUMENT'
  | 'INTERNAL_ERROR'
  | 'ANALYSIS_ERROR'
  | 'ABORTED'
  | 'PUBLISH_TIMEOUT';

export interface TxnStatus {
  code: TxnStatusCode;
  message: string;
}

export const OK_STATUS: TxnStatus = { code: 'OK', message: '' };

/** `to_resp_json` picks the op-specific keys by the op name; prepare replies as commit. */
export type ReplyOp = 'begin' | 'load' | 'commit' | 'rollback';

/** What a BE stream load context knows when it replies; a fresh one for errors before any context. */
export interface ReplyContext {
  label: string;
  existingJobStatus: string;
  txnId: number;
  /** This request's bytes (load) — `receive_bytes`. */
  requestBytes: number;
  /** The whole transaction's bytes (prepare/commit) — `total_receive_bytes`. */
  totalBytes: number;
  totalRows: number;
  loadedRows: number;
  filteredRows: number;
  loadTimeMs: number;
  errorUrl: string | null;
}

export function freshReplyContext(label: string): ReplyContext {
  const zero = { txnId: -1, requestBytes: 0, totalBytes: 0, totalRows: 0, loadedRows: 0, filteredRows: 0, loadTimeMs: 0 };
  return { label, existingJobStatus: '', ...zero, errorUrl: null };
}

/**
 * `Status`, then `ExistingJobStatus` (LABEL_ALREADY_EXISTS) or `Label` (TXN_IN_PROCESSING), then
 * `Message`; on OK the op's keys; `ErrorURL` last. Pretty-printed like rapidjson. The emulator
 * reports timings other than LoadTimeMs as 0.
 */
export function renderTxnReply(op: ReplyOp, status: TxnStatus, c: ReplyContext): string {
  const body: Record<string, string | number> = { Status: status.code };
  if (status.code === 'LABEL_ALREADY_EXISTS') body.ExistingJobStatus = c.existingJobStatus;
  if (status.code === 'TXN_IN_PROCESSING') body.Label = c.label;
  body.Message = status.message;
  if (status.code === 'OK') {
    body.Label = c.label;
    if (op === 'begin') Object.assign(body, { TxnId: c.txnId, BeginTxnTimeMs: 0 });
    if (op === 'load') Object.assign(body, { TxnId: c.txnId, LoadBytes: c.requestBytes, StreamLoadPlanTimeMs: 0, ReceivedDataTimeMs: 0 });
    if (op === 'commit') {
      Object.assign(body, {
        TxnId: c.txnId,
        NumberTotalRows: c.totalRows,
        NumberLoadedRows: c.loadedRows,
        NumberFilteredRows: c.filteredRows,
        NumberUnselectedRows: 0,
        LoadBytes: c.totalBytes,
        LoadTimeMs: c.loadTimeMs,
        StreamLoadPlanTimeMs: 0,
        ReceivedDataTimeMs: 0,
        WriteDataTimeMs: 0,
        CommitAndPublishTimeMs: 0,
      });
    }
  }
  if (c.errorUrl) body.ErrorURL = c.errorUrl;
  return JSON.stringify(body, null, 4);
}

/** FE TransactionResult, `OK`: a pretty-printed Gson map, keys as §5.2 writes them. */
export function feTxnOk(message: string, label: string): string {
  return JSON.stringify({ Status: 'OK', Message: message, Label: label }, null, 2);
}

/** FE TransactionResult, `FAILED`: `<exception class>: <text>` (§5.2 step 5). */
export function feTxnFailed(message: string, exceptionClass = 'com.starrocks.common.UserException'): string {
  return JSON.stringify({ Status: 'FAILED', Message: `class ${exceptionClass}: ${message}` }, null, 2);
}
