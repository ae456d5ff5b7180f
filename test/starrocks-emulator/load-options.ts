/**
 * Stream Load request headers (§2.1). The BE validates some before it begins the transaction
 * (TxnId -1 on error) and the rest while planning, inside the transaction.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type DataFormat = 'json' | 'csv';

/** Checked by the BE's header handler before begin (§2.1, §4.1). */
export interface RequestOptions {
  format: DataFormat;
  timeoutSeconds: number;
}

/** Checked while planning the load, after begin. */
export interface LoadOptions {
  format: DataFormat;
  stripOuterArray: boolean;
  columns: string | null;
  jsonPaths: string | null;
  jsonRoot: string | null;
  columnSeparator: string;
  rowDelimiter: string;
  maxFilterRatio: number;
  strictMode: boolean;
  partialUpdate: boolean;
}

const JSON_BATCH_LIMIT = 104857600;
const BODY_LIMIT = 10240 * 1024 * 1024;
const DEFAULT_TIMEOUT_SECONDS = 600;
const COMPRESSED_CSV = new Set(['gzip', 'bzip2', 'lz4', 'deflate', 'zstd']);

/** Headers StarRocks accepts whose semantics the emulator does not model: refused, never ignored. */
const UNMODELLED = [
  'where',
  'partitions',
  'temporary_partitions',
  'merge_condition',
  'compression',
  'content-encoding',
  'negative',
  'enable_merge_commit',
  'skip_header',
  'enclose',
  'escape',
  'trim_space',
  'log_rejected_record_num',
];

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export function checkRequestHeaders(headers: IncomingHttpHeaders, label: string): Checked<RequestOptions> {
  const format = checkFormat(headers);
  if (!format.ok) return format;
  const length = header(headers, 'content-length');
  if (length !== undefined) {
    const size = checkBodySize(Number(length), format.value, headers, `label=${label}`);
    if (!size.ok) return size;
  }
  const timeout = header(headers, 'timeout');
  if (timeout !== undefined && !/^\d+$/.test(timeout)) return fail('Invalid timeout format');
  return { ok: true, value: { format: format.value, timeoutSeconds: timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout) } };
}

/** `format` (§2.1): csv by default; compressed CSV is refused by the emulator. */
export function checkFormat(headers: IncomingHttpHeaders): Checked<DataFormat> {
  const formatText = header(headers, 'format')?.toLowerCase() ?? 'csv';
  if (formatText !== 'csv' && formatText !== 'json' && !COMPRESSED_CSV.has(formatText)) {
    return fail(`unknown data format, format=${header(headers, 'format')}`);
  }
  if (COMPRESSED_CSV.has(formatText)) return fail(`format=${formatText} (compressed CSV) is not supported by the StarRocks emulator`);
  return { ok: true, value: formatText === 'json' ? 'json' : 'csv' };
}

/**
 * The announced body size against `streaming_load_max_mb` and, for JSON, the 100 MB batch limit
 * (§4.1); `brief` is the BE's description of the load in the message.
 */
export function checkBodySize(bytes: number, format: DataFormat, headers: IncomingHttpHeaders, brief: string): Checked<number> {
  if (bytes > BODY_LIMIT) {
    return fail(`body size ${bytes} exceed limit: ${BODY_LIMIT}, ${brief}. You can increase the limit by setting streaming_load_max_mb in be.conf.`);
  }
  // §4.1: only checked when Content-Length is known; `ignore_json_size: true` skips it.
  if (format === 'json' && bytes > JSON_BATCH_LIMIT && header(headers, 'ignore_json_size')?.toLowerCase() !== 'true') {
    return fail(
      `The size of this batch exceed the max size [${JSON_BATCH_LIMIT}]  of json type data  data [ ${bytes} ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming.`,
    );
  }
  return { ok: true, value: bytes };
}

export function checkLoadHeaders(headers: IncomingHttpHeaders, request: RequestOptions): Checked<LoadOptions> {
  const unmodelled = UNMODELLED.find((name) => header(headers, name) !== undefined);
  if (unmodelled) return fail(`header '${unmodelled}' is not supported by the StarRocks emulator`);
  const strictMode = parseBool(header(headers, 'strict_mode'));
  if (strictMode === null) return fail('Invalid strict mode format. Must be bool type');
  const partialUpdate = parseBool(header(headers, 'partial_update'));
  if (partialUpdate === null) return fail('Invalid partial update flag format. Must be bool type');
  // §2.1: parsed with strtod, so garbage means 0.
  const ratio = parseFloat(header(headers, 'max_filter_ratio') ?? '0');
  return {
    ok: true,
    value: {
      format: request.format,
      stripOuterArray: header(headers, 'strip_outer_array')?.toLowerCase() === 'true',
      columns: nonEmpty(header(headers, 'columns')),
      jsonPaths: nonEmpty(header(headers, 'jsonpaths')),
      jsonRoot: nonEmpty(header(headers, 'json_root')),
      columnSeparator: separator(header(headers, 'column_separator'), '\t'),
      rowDelimiter: separator(header(headers, 'row_delimiter'), '\n'),
      maxFilterRatio: Number.isNaN(ratio) ? 0 : ratio,
      strictMode,
      partialUpdate,
    },
  };
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `true`/`false`, case-insensitive; absent is false; anything else is a format error. */
function parseBool(value: string | undefined): boolean | null {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : null;
}

/** Separators may be given in hex, e.g. `\x01` or `\x0D0A` (§2.1). */
function separator(value: string | undefined, fallback: string): string {
  if (!value) return fallback;
  if (/^\\x([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.slice(2), 'hex').toString('latin1');
  return value;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}

function fail<T>(message: string): Checked<T> {
  return { ok: false, message };
}
