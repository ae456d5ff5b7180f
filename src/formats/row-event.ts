import type { BinaryRendering } from '../rows/value-types.ts'

/**
 * What every change-data format decodes into (canal, Debezium, Maxwell): row events the row
 * builder turns into Stream Load rows, or a reason the message carries none. Values are the text
 * StarRocks parses, or null: each decoder renders its format's encodings (Debezium's epoch days,
 * base64 decimals, Maxwell's arrays …) into the text MySQL and canal would show, so mapping, delete
 * modes, metadata columns and quarantine work the same whatever the format.
 */
export type RowImage = Record<string, string | null>

export type RowEvent = {
  kind: 'rows'
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  database: string
  table: string
  /** Binlog time in ms (second resolution). */
  es: number
  pkNames: string[]
  /**
   * Each column's MySQL type where the format tells it (canal's `mysqlType`: `int(11)`,
   * `enum('a','b')`…; Debezium's schema and Maxwell's embedded JSON say `json` or `blob`); may be
   * empty. It decides how a value goes into its target column (src/rows/value-types.ts).
   */
  mysqlType: Record<string, string>
  /**
   * How the format renders a binary value of a column `mysqlType` does not type: Maxwell's
   * `base64`. Absent: such a value is text (canal and Debezium type their binary columns).
   */
  binaryRendering?: BinaryRendering
  data: RowImage[]
  /**
   * UPDATE only: per row, previous values (canal and Maxwell: the columns that changed; Debezium:
   * the whole before image). A key column that differs from `data` moves the row.
   */
  old: (RowImage | undefined)[]
}

/**
 * Messages that carry no rows to load; counted by reason, never silently dropped. `ddl` is every
 * schema change of any format (canal DDL, Debezium truncate and schema-change records, Maxwell
 * table-* and database-* records). A schema-change policy takes those that come in order with
 * their table's rows: canal's DDL, Maxwell's table-* records and Debezium's truncate
 * (ddlInRowOrder in workers/load-batch.ts); Debezium's schema-change topic is counted only.
 */
export type SkipReason = 'ddl' | 'query' | 'statement-dml' | 'unknown-type' | 'tombstone' | 'transaction' | 'heartbeat' | 'bootstrap'

export type SkippedEvent = {
  kind: 'skip'
  reason: SkipReason
  database: string
  table: string
  type: string
  sql?: string
}

export type UnreadableEvent = { kind: 'unreadable'; reason: string }

export type ChangeEvent = RowEvent | SkippedEvent | UnreadableEvent

/** A Kafka record as a decoder sees it: the key matters to Debezium (the row's key) and Maxwell. */
export type SourceRecord = { topic: string; key: Buffer | null; value: Buffer | null }
