/** Splits a CSV body (StarRocks' default format) into rows of fields (§2.1 column_separator/row_delimiter). */

export type CsvRecord = { ok: true; fields: (string | null)[]; line: string } | { ok: false; error: string; row: string };

/** `\N` is NULL in StarRocks CSV. */
const NULL_FIELD = '\\N';

export function readCsvRecords(text: string, columnSeparator: string, rowDelimiter: string, expected: number): CsvRecord[] {
  const lines = text.split(rowDelimiter);
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line): CsvRecord => {
    const fields = line.split(columnSeparator);
    if (fields.length !== expected) {
      // Wording [unconfirmed]: the 3.x CSV scanner's column-count error.
      return { ok: false, error: `Value count does not match column count. Expect ${expected}, but got ${fields.length}`, row: line };
    }
    return { ok: true, fields: fields.map((f) => (f === NULL_FIELD ? null : f)), line };
  });
}
