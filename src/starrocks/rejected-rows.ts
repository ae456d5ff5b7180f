/**
 * Which rows of a Stream Load body StarRocks refused, read from its error log (reference §3.1:
 * `Error: <reason>. Row: <row>` per refused row). The log renders the row as it read it from the
 * body, so a body row is the refused one when both parse to the same JSON. Two equal rows convert
 * alike, so when one is refused both are, and taking every equal row is exact.
 */
export type RejectedRow = { reason: string; column: string | undefined; line: string }

export type ErrorLogLine = { reason: string; row: string | null }

const rowMark = '. Row: '

export function parseErrorLine(line: string): ErrorLogLine {
  const text = line.startsWith('Error: ') ? line.slice('Error: '.length) : line
  // The reason may itself hold the mark; the row is the first remainder that is a JSON object.
  for (let at = text.indexOf(rowMark); at >= 0; at = text.indexOf(rowMark, at + 1)) {
    const row = text.slice(at + rowMark.length)
    if (canonicalRow(row) !== null) return { reason: text.slice(0, at), row }
  }
  return { reason: text.replace(/\.$/, ''), row: null }
}

/** The column a StarRocks reason names, in any of the forms its messages use. */
export function reasonColumn(reason: string): string | undefined {
  const m =
    /column=([^,\s]+)/.exec(reason) ??
    /column '([^']+)'/.exec(reason) ??
    /The type of '([^']+)'/.exec(reason) ??
    /column: ([^,\s]+)/.exec(reason)
  return m?.[1]
}

/**
 * The refused rows among `rows` (each a JSON object's text), by index; null when a line names no
 * row or a row that is not in the body: then nobody can say which rows were refused.
 */
export function matchRejectedRows(lines: string[], rows: string[]): Map<number, RejectedRow> | null {
  if (lines.length === 0) return null
  const wanted = new Map<string, RejectedRow>()
  for (const line of lines) {
    const parsed = parseErrorLine(line)
    const key = parsed.row === null ? null : canonicalRow(parsed.row)
    if (key === null) return null
    if (!wanted.has(key)) wanted.set(key, { reason: parsed.reason, column: reasonColumn(parsed.reason), line })
  }
  const found = new Map<number, RejectedRow>()
  const matched = new Set<string>()
  rows.forEach((text, i) => {
    const key = canonicalRow(text)
    const rejected = key === null ? undefined : wanted.get(key)
    if (rejected) {
      found.set(i, rejected)
      matched.add(key!)
    }
  })
  return matched.size === wanted.size ? found : null
}

function canonicalRow(text: string): string | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : null
  } catch {
    return null
  }
}
