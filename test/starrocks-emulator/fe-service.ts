/**
 * The FE's Thrift call the BE makes to begin a load transaction (`loadTxnBegin`): authentication,
 * database, table, label format and label reuse, in that order (§1.5, §1.6, §3.4). Both Stream
 * Load and Transaction Stream Load begin here; they render the failures differently.
 */
import type { Catalog, Table } from './catalog.ts';
import type { Credentials, Users } from './http-auth.ts';
import type { LabelRegistry } from './label-registry.ts';

/** §3.4: FE 3.x label regex. */
const LABEL_RE = /^[-\w]{1,128}$/;

export interface BeginRequest {
  credentials: Credentials;
  clientIp: string;
  db: string;
  table: string;
  label: string;
  /** Bounds PREPARE for a Transaction Stream Load; null for a plain Stream Load. */
  timeoutMs: number | null;
}

export type BeginOutcome =
  | { ok: true; txnId: number; table: Table }
  /** `ANALYSIS_ERROR` on the Thrift side: a UserException's text. */
  | { ok: false; kind: 'analysis'; message: string }
  | { ok: false; kind: 'label-used'; existingJobStatus: 'RUNNING' | 'FINISHED'; message: string };

export function loadTxnBegin(fe: { users: Users; catalog: Catalog; labels: LabelRegistry }, req: BeginRequest): BeginOutcome {
  const { credentials, db, label } = req;
  if (!fe.users.check(credentials)) return analysis(`Access denied for ${credentials.user}@${req.clientIp}`);
  if (!fe.catalog.hasDatabase(db)) return analysis(`unknown database, database=${db}`);
  const table = fe.catalog.table(db, req.table);
  if (!table) return analysis(`unknown table "${db}.${req.table}"`);
  if (!LABEL_RE.test(label)) return analysis(`Label format error. regex: ^[-\\w]{1,128}$, label: ${label}`);
  const begun = fe.labels.begin(db, label, req.timeoutMs);
  if (!begun.ok) {
    return { ok: false, kind: 'label-used', existingJobStatus: begun.existingJobStatus, message: `Label [${label}] has already been used.` };
  }
  return { ok: true, txnId: begun.txnId, table };
}

function analysis(message: string): BeginOutcome {
  return { ok: false, kind: 'analysis', message };
}
