import { createHash } from 'node:crypto'
import type { LoadJobData } from '../jobs/load-job.ts'

/**
 * The Stream Load label of one table's share of one batch (docs/design.md invariant 3). A pure function
 * of the batch identity, so a retry, a restarted worker or a re-cut batch sends the same label and
 * StarRocks refuses to load the rows twice.
 */
export type LabelParts = Pick<LoadJobData, 'instance' | 'epoch' | 'topic' | 'partition' | 'firstOffset' | 'lastOffset'> & {
  prefix: string
  database: string
  table: string
  /** A part of the table's rows cut off by a DDL barrier (`ddl<offset>`); absent for the rows before any. */
  segment?: string
}

const maxLength = 128
const hashLength = 20

export function loadLabel(p: LabelParts): string {
  const parts = [p.prefix, p.instance, p.epoch, p.topic, p.partition, p.firstOffset, p.lastOffset, p.database, p.table, ...(p.segment ? [p.segment] : [])]
  // The readable head is for people reading StarRocks' load history; uniqueness comes from the
  // hash of the exact parts, because names may hold '-' and '.', so no join of them is unambiguous.
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, hashLength)
  const head = parts.join('-').replace(/[^-\w]/g, '_').slice(0, maxLength - hashLength - 1)
  return `${head}-${hash}`
}
