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
  /** Source rows that carried a column the target lacks (and the rule does not exclude): schema drift. */
  driftRows: number
  /** Those columns, by their source names. */
  driftColumns: Set<string>
}
