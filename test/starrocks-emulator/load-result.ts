/** The BE's reply to a Stream Load (§3.1) and the emulator's record of each attempt. */

export type LoadStatus = 'Success' | 'Publish Timeout' | 'Label Already Exists' | 'Fail';

export interface LoadCounters {
  totalRows: number;
  loadedRows: number;
  filteredRows: number;
  unselectedRows: number;
  loadBytes: number;
}

export interface LoadTimings {
  loadTimeMs: number;
  beginTxnTimeMs: number;
  planTimeMs: number;
  readDataTimeMs: number;
  writeDataTimeMs: number;
  commitAndPublishTimeMs: number;
}

export interface LoadResult extends LoadCounters, LoadTimings {
  txnId: number;
  label: string;
  status: LoadStatus;
  existingJobStatus?: 'RUNNING' | 'FINISHED';
  message: string;
  errorUrl?: string;
}

/** One load attempt as seen by the BE, for tests to assert on. */
export interface LoadRecord {
  at: number;
  db: string;
  table: string;
  label: string;
  txnId: number;
  status: LoadStatus;
  message: string;
  totalRows: number;
  loadedRows: number;
  filteredRows: number;
  /** The fault switch that shaped this attempt, if any. */
  fault: string | null;
}

export const ZERO_COUNTERS: LoadCounters = { totalRows: 0, loadedRows: 0, filteredRows: 0, unselectedRows: 0, loadBytes: 0 };
export const ZERO_TIMINGS: LoadTimings = {
  loadTimeMs: 0,
  beginTxnTimeMs: 0,
  planTimeMs: 0,
  readDataTimeMs: 0,
  writeDataTimeMs: 0,
  commitAndPublishTimeMs: 0,
};

/**
 * Keys in StarRocks' order (`StreamLoadContext::to_json`), `ExistingJobStatus` right after `Status`,
 * `ErrorURL` only when an error log exists; pretty-printed with a 4-space indent like rapidjson.
 */
export function renderLoadResult(r: LoadResult): string {
  const body: Record<string, string | number> = { TxnId: r.txnId, Label: r.label, Status: r.status };
  if (r.existingJobStatus) body.ExistingJobStatus = r.existingJobStatus;
  Object.assign(body, {
    Message: r.message,
    NumberTotalRows: r.totalRows,
    NumberLoadedRows: r.loadedRows,
    NumberFilteredRows: r.filteredRows,
    NumberUnselectedRows: r.unselectedRows,
    LoadBytes: r.loadBytes,
    LoadTimeMs: r.loadTimeMs,
    BeginTxnTimeMs: r.beginTxnTimeMs,
    StreamLoadPlanTimeMs: r.planTimeMs,
    ReadDataTimeMs: r.readDataTimeMs,
    WriteDataTimeMs: r.writeDataTimeMs,
    CommitAndPublishTimeMs: r.commitAndPublishTimeMs,
  });
  if (r.errorUrl) body.ErrorURL = r.errorUrl;
  return JSON.stringify(body, null, 4);
}
