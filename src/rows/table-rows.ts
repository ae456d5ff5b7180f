import type { JsonRowsBody } from './json-rows-body.ts'

/**
 * The rows of one target table cut from a batch, with what they do: the one type that both row
 * builders (the canal fast path in formats/canal and the decoded-event path in row-changes.ts) fill.
 */
export type TableRows = {
  /** The rows, written as the Stream Load body. */
  body: JsonRowsBody
  upserts: number
  deletes: number
  /** DELETEs not applied: delete mode `ignore`, or a hard delete on a table that cannot delete. */
  ignoredDeletes: number
  /** Source rows K2S could not convert for the target (value-types.ts): quarantined, not sent. */
  refused: RefusedRow[]
  /** Zero dates (`0000-00-00…`) sent as NULL into DATE/DATETIME columns. */
  zeroDates: number
  /** The Stream Load `columns` header the body needs (VARBINARY columns), if any. */
  columns: string | undefined
  /** Source rows that carried a column the target lacks (and the rule does not exclude): schema drift. */
  driftRows: number
  /** Those columns, by their source names. */
  driftColumns: Set<string>
}

export type RefusedRow = { offset: string; row: string; column: string; reason: string; code: string; params: Record<string, string | number> }
