/**
 * The data phase of a load: plan it (FE), read the body (BE scanner), build row operations and
 * collect filtered rows with their error-log lines (§3.1, §4.3, §6).
 */
import { readCsvRecords } from './csv-source.ts';
import type { SourceValue } from './json-conversion.ts';
import { JsonPath, parseJsonPaths, readJsonRecords, type JsonObject } from './json-source.ts';
import { minifyJson } from './json-value.ts';
import type { LoadOptions } from './load-options.ts';
import { planLoad, type LoadPlan } from './load-plan.ts';
import { buildRow } from './row-builder.ts';
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
  const data: LoadData = { ops: [], columns: load.schema.columns, totalRows: 0, filteredRows: 0, errorLines: [] };
  const filter = (error: string, row: string) => {
    data.filteredRows++;
    if (data.errorLines.length < MAX_ERROR_LINES) data.errorLines.push(`Error: ${error}. Row: ${row}`);
  };
  const accept = (values: (SourceValue | undefined)[], row: () => string) => {
    const built = buildRow(load.schema, load.plan, load.options.strictMode, values, now);
    if (built.ok) data.ops.push(built.op);
    else filter(built.error, row());
  };
  const text = body.toString('utf8');
  const { options, plan } = load;
  if (options.format === 'json') {
    for (const record of readJsonRecords(text, options.stripOuterArray, load.jsonRoot)) {
      data.totalRows++;
      if (!record.ok) {
        filter(record.error, record.row);
        continue;
      }
      const values = jsonValues(record.object, plan.sourceNames, load.jsonPaths);
      if (values === null) filter('The JSON element does not have the requested type', minifyJson(record.object));
      else accept(values, () => minifyJson(record.object));
    }
  } else {
    for (const record of readCsvRecords(text, options.columnSeparator, options.rowDelimiter, plan.sourceNames.length)) {
      data.totalRows++;
      if (!record.ok) filter(record.error, record.row);
      else accept(record.fields.map((f) => (f === null ? { t: 'null' } : { t: 'text', v: f })), () => record.line);
    }
  }
  return data;
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
