/**
 * The data phase of a load: plan it (FE), read the body (BE scanner), build row operations and
 * collect filtered rows with their error-log lines (§3.1, §4.3, §6).
 */
import { isAscii } from 'node:buffer';
import { readCsvRecords } from './csv-source.ts';
import type { SourceValue } from './json-conversion.ts';
import { JsonPath, parseJsonPaths, readJsonRecords, readRowObjects, sourceSlots, type JsonObject } from './json-source.ts';
import { minifyJson, parseJsonValue } from './json-value.ts';
import type { LoadOptions } from './load-options.ts';
import { planLoad, type LoadPlan } from './load-plan.ts';
import { RowBuilder } from './row-builder.ts';
import type { RowOp } from './table-store.ts';
import type { ColumnSchema, TableSchema } from './schema.ts';

export interface PreparedLoad {
  schema: TableSchema;
  options: LoadOptions;
  plan: LoadPlan;
  jsonPaths: JsonPath[] | null;
  jsonRoot: JsonPath | null;
}

export interface LoadData {
  ops: RowOp[];
  /** The columns the rows were built for: the table's columns when the load was planned. */
  columns: ColumnSchema[];
  totalRows: number;
  filteredRows: number;
  /** `Error: <reason>. Row: <row>` lines for the error log (§3.1). */
  errorLines: string[];
}

/** StarRocks bounds the error log; 50 lines here ([unconfirmed] exact bound). */
const MAX_ERROR_LINES = 50;

/** Plans against a snapshot of the schema: a schema change finishing meanwhile replaces `columns`. */
export function prepareLoad(table: TableSchema, options: LoadOptions): PreparedLoad | { error: string } {
  const schema = { ...table };
  const plan = planLoad(schema, options);
  if ('error' in plan) return plan;
  let jsonPaths: JsonPath[] | null = null;
  let jsonRoot: JsonPath | null = null;
  if (options.format === 'json' && options.jsonPaths !== null) {
    const parsed = parseJsonPaths(options.jsonPaths);
    if ('error' in parsed) return parsed;
    jsonPaths = parsed;
  }
  if (options.format === 'json' && options.jsonRoot !== null) {
    jsonRoot = JsonPath.parse(options.jsonRoot);
    if (!jsonRoot) return { error: `Invalid json path: ${options.jsonRoot}` };
  }
  return { schema, options, plan, jsonPaths, jsonRoot };
}

export function readLoadData(load: PreparedLoad, body: Buffer, now: Date): LoadData {
  // An ASCII body (the usual one) reads the same as latin1, which is much cheaper than UTF-8 decoding.
  const text = isAscii(body) ? body.toString('latin1') : body.toString('utf8');
  const rows = new RowBuilder(load.schema, load.plan, load.options.strictMode, now);
  if (load.options.format === 'csv') return readCsv(load, text, rows);
  const slotOf = load.jsonPaths === null && load.jsonRoot === null ? sourceSlots(load.plan.sourceNames) : null;
  return (slotOf && readSimpleJson(load, text, rows, slotOf)) ?? readJson(load, text, rows);
}

/** The usual body, simple-mode row objects, without a tree per row; null if it needs readJson. */
function readSimpleJson(load: PreparedLoad, text: string, rows: RowBuilder, slotOf: Map<string, number>): LoadData | null {
  const data = emptyData(load);
  const complete = readRowObjects(text, load.options.stripOuterArray, slotOf, (values, start, end) => {
    data.totalRows++;
    const built = rows.build(values);
    if (typeof built !== 'string') data.ops.push(built);
    // The object parsed on its own is the node readJsonRecords would have made.
    else filter(data, built, () => minifyJson(parseJsonValue(text.slice(start, end), 0).node));
  });
  return complete ? data : null;
}

function readJson(load: PreparedLoad, text: string, rows: RowBuilder): LoadData {
  const data = emptyData(load);
  for (const record of readJsonRecords(text, load.options.stripOuterArray, load.jsonRoot)) {
    data.totalRows++;
    if (!record.ok) {
      filter(data, record.error, () => record.row);
      continue;
    }
    const values = jsonValues(record.object, load.plan.sourceNames, load.jsonPaths);
    const built = values === null ? 'The JSON element does not have the requested type' : rows.build(values);
    if (typeof built !== 'string') data.ops.push(built);
    else filter(data, built, () => minifyJson(record.object));
  }
  return data;
}

function readCsv(load: PreparedLoad, text: string, rows: RowBuilder): LoadData {
  const data = emptyData(load);
  const { options, plan } = load;
  for (const record of readCsvRecords(text, options.columnSeparator, options.rowDelimiter, plan.sourceNames.length)) {
    data.totalRows++;
    if (!record.ok) {
      filter(data, record.error, () => record.row);
      continue;
    }
    const built = rows.build(record.fields.map((f) => (f === null ? { t: 'null' } : { t: 'text', v: f })));
    if (typeof built !== 'string') data.ops.push(built);
    else filter(data, built, () => record.line);
  }
  return data;
}

function emptyData(load: PreparedLoad): LoadData {
  return { ops: [], columns: load.schema.columns, totalRows: 0, filteredRows: 0, errorLines: [] };
}

/** Counts a filtered row. The log takes the first ones only, so the row's text is made only for them. */
function filter(data: LoadData, error: string, row: () => string): void {
  data.filteredRows++;
  if (data.errorLines.length < MAX_ERROR_LINES) data.errorLines.push(`Error: ${error}. Row: ${row()}`);
}

/** Simple mode looks keys up by exact name; matched mode feeds the i-th source from the i-th path (§6.2). */
function jsonValues(object: JsonObject, sourceNames: string[], paths: JsonPath[] | null): (SourceValue | undefined)[] | null {
  if (paths === null) return sourceNames.map((name) => object.fields.get(name));
  const values: (SourceValue | undefined)[] = [];
  for (const [i] of sourceNames.entries()) {
    const path = paths[i];
    if (!path) {
      values.push(undefined);
      continue;
    }
    const selected = path.select(object);
    if (!selected.ok) return null;
    values.push(selected.node);
  }
  return values;
}
