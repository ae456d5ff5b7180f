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
  /**
   * The load of the table's rows without those StarRocks refused (their indexes in the body), or
   * one refused row on its own (a single index, for its quarantined item): a function of the batch
   * and of StarRocks' answer to it, so a re-cut batch repeats these labels too.
   */
  rows?: { kind: 'without' | 'row'; indexes: number[] }
}

const maxLength = 128
const hashLength = 20

export function loadLabel(p: LabelParts): string {
  const parts: (string | number)[] = [p.prefix, p.instance, p.epoch, p.topic, p.partition, p.firstOffset, p.lastOffset, p.database, p.table]
  if (p.segment) parts.push(p.segment)
  if (p.rows) parts.push(`${p.rows.kind === 'without' ? 'x' : 'q'}${p.rows.kind === 'without' ? p.rows.indexes.length : p.rows.indexes[0]}`, p.rows.indexes.join(','))
  // The readable head is for people reading StarRocks' load history; uniqueness comes from the
  // hash of the exact parts, because names may hold '-' and '.', so no join of them is unambiguous.
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, hashLength)
  // The list of refused rows' indexes, which may be long, is left to the hash.
  const head = (p.rows ? parts.slice(0, -1) : parts).join('-').replace(/[^-\w]/g, '_').slice(0, maxLength - hashLength - 1)
  return `${head}-${hash}`
}
