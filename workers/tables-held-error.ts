/**
 * A batch whose target tables are held by their rule's schema-change policy (a DDL to approve, rows
 * with columns the target lacks). The job fails and is retried with backoff, so its partition's
 * offset stays put; an operator's resume promotes the waiting job at once.
 */
export class TablesHeldError extends Error {
  constructor(readonly tables: string[]) {
    super(`held by the schema change policy: ${tables.join('; ')}`)
  }
}
