import { blobTable, faultTables, strictTable, type Row } from './stream.ts';
import { rowKey, type Expected } from './oracle.ts';

/** How one target table compares with the oracle. */
export interface TableReport {
  table: string;
  expected: number;
  found: number;
  /** Expected rows (or copies of them) not found. */
  missing: number;
  /** Expected rows found more often than expected (Duplicate Key tables). */
  duplicated: number;
  /** Rows that should not be there at all (a stale image, a row that should be deleted). */
  unexpected: number;
  /** A few offending rows, for the report. */
  samples: string[];
}

export function compareTable(table: string, expected: readonly Row[], found: readonly Row[]): TableReport {
  const columns = Object.keys(found[0] ?? expected[0] ?? {}).sort();
  const want = new Map<string, number>();
  for (const row of expected) want.set(rowKey(row, columns), (want.get(rowKey(row, columns)) ?? 0) + 1);
  const have = new Map<string, number>();
  for (const row of found) have.set(rowKey(row, columns), (have.get(rowKey(row, columns)) ?? 0) + 1);
  const report: TableReport = { table, expected: expected.length, found: found.length, missing: 0, duplicated: 0, unexpected: 0, samples: [] };
  const sample = (what: string, key: string) => report.samples.length < 5 && report.samples.push(`${what} ${key.length > 120 ? `${key.slice(0, 120)}…` : key}`);
  for (const [key, n] of want) {
    const got = have.get(key) ?? 0;
    if (got < n) {
      report.missing += n - got;
      sample('missing', key);
    } else if (got > n) {
      report.duplicated += got - n;
      sample('duplicated', key);
    }
  }
  for (const [key, n] of have) {
    if (want.has(key)) continue;
    report.unexpected += n;
    sample('unexpected', key);
  }
  return report;
}

export function compareAll(expected: Expected, rowsOf: (table: string) => Row[]): TableReport[] {
  return [...faultTables.map((t) => t.name), strictTable, blobTable].map((table) => compareTable(table, expected.get(table) ?? [], rowsOf(table)));
}

export function isExact(reports: readonly TableReport[]): boolean {
  return reports.every((r) => r.missing === 0 && r.duplicated === 0 && r.unexpected === 0);
}
