import type { MappingEnvInput } from '../../src/instances/config.ts';

/**
 * A seeded stream of canal flat messages for one source database: PRIMARY KEY and DUPLICATE KEY
 * tables, inserts, updates (some change the primary key), deletes, 1–5 rows per message, spread
 * over several partitions. The same seed always gives the same bytes, so a failing run can be
 * replayed by hand.
 *
 * Each row lives in one partition for its whole life (a key change keeps the partition) and ids
 * are never reused, the way canal's per-key partitioning keeps one row's changes in order: so the
 * expected result does not depend on how partitions interleave.
 */
export type Row = Record<string, string | null>;

export interface StreamMessage {
  partition: number;
  value: string;
  /** Row changes carried (0 for poison that carries none). */
  rows: number;
}

export interface FaultTable {
  name: string;
  model: 'PRIMARY' | 'DUPLICATE';
  deleteMode: 'hard' | 'ignore' | 'soft';
}

/** The tables every stream writes; `audit` soft-deletes into its `deleted` column. */
export const faultTables: readonly FaultTable[] = [
  { name: 'orders', model: 'PRIMARY', deleteMode: 'hard' },
  { name: 'items', model: 'PRIMARY', deleteMode: 'hard' },
  { name: 'events', model: 'DUPLICATE', deleteMode: 'ignore' },
  { name: 'audit', model: 'DUPLICATE', deleteMode: 'soft' },
];

/** Receives only the poison row StarRocks filters (NULL into NOT NULL), so its quarantine is exact. */
export const strictTable = 'notes';

/** Receives only the one huge message of the long run (wide rows, ~50 MB in one Kafka message). */
export const blobTable = 'blobs';

export function createTableStatements(db: string): string[] {
  const tables = faultTables.map((t) => {
    const deleted = t.deleteMode === 'soft' ? ', deleted TINYINT' : '';
    const key = t.model === 'PRIMARY' ? 'PRIMARY KEY(id)' : 'DUPLICATE KEY(id)';
    return `CREATE TABLE ${db}.${t.name} (id BIGINT NOT NULL, v BIGINT, note VARCHAR(64)${deleted}) ${key} DISTRIBUTED BY HASH(id) BUCKETS 2`;
  });
  return [
    `CREATE DATABASE ${db}`,
    ...tables,
    `CREATE TABLE ${db}.${strictTable} (id BIGINT NOT NULL, note VARCHAR(64) NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`,
    `CREATE TABLE ${db}.${blobTable} (id BIGINT NOT NULL, note VARCHAR(65533)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`,
  ];
}

export function mappingFor(name: string, db: string, schemaChange: 'ignore' | 'apply' | 'pause' = 'ignore'): MappingEnvInput {
  return {
    name,
    rules: [
      ...faultTables.map((t) => ({
        sourceDatabase: db,
        sourceTable: t.name,
        targetDatabase: db,
        schemaChange,
        deleteMode: t.deleteMode,
        ...(t.deleteMode === 'soft' ? { softDeleteColumn: 'deleted' } : {}),
      })),
      { sourceDatabase: db, sourceTable: strictTable, targetDatabase: db },
      { sourceDatabase: db, sourceTable: blobTable, targetDatabase: db },
    ],
  };
}

/** mulberry32: small, fast, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StreamOptions {
  seed: number;
  db: string;
  /** Row changes to generate (the last message may go a few over). */
  rows: number;
  partitions: number;
}

export function generateStream(opts: StreamOptions): StreamMessage[] {
  const random = prng(opts.seed);
  const pick = (n: number) => Math.floor(random() * n);
  let nextId = 1;
  let version = 0;
  let es = 1_700_000_000_000;
  // Live rows per table and partition.
  const live = faultTables.map(() => Array.from({ length: opts.partitions }, () => new Map<string, Row>()));
  const messages: StreamMessage[] = [];
  let changes = 0;
  while (changes < opts.rows) {
    const t = pick(faultTables.length);
    const table = faultTables[t]!;
    const partition = pick(opts.partitions);
    const rows = live[t]![partition]!;
    const count = 1 + pick(5);
    const roll = random();
    const type = rows.size < count || roll < 0.4 ? 'INSERT' : roll < 0.8 ? 'UPDATE' : 'DELETE';
    const note = () => `n${pick(1_000_000)}`;
    const data: Row[] = [];
    const old: Row[] = [];
    if (type === 'INSERT') {
      for (let i = 0; i < count; i++) {
        const row = { id: String(nextId++), v: String(++version), note: note() };
        rows.set(row.id, row);
        data.push(row);
      }
    } else {
      const ids = [...rows.keys()];
      const chosen = new Set<string>();
      while (chosen.size < count) chosen.add(ids[pick(ids.length)]!);
      for (const id of chosen) {
        const before = rows.get(id)!;
        if (type === 'DELETE') {
          rows.delete(id);
          data.push(before);
          continue;
        }
        const after: Row = { id: random() < 0.2 ? String(nextId++) : id, v: String(++version), note: note() };
        // canal's `old`: the previous values of the columns that changed.
        old.push(Object.fromEntries(Object.keys(after).filter((c) => after[c] !== before[c]).map((c) => [c, before[c]!])));
        rows.delete(id);
        rows.set(after.id!, after);
        data.push(after);
      }
    }
    es += 1 + pick(3) * 1000;
    messages.push({ partition, rows: data.length, value: canalMessage(type, opts.db, table.name, data, type === 'UPDATE' ? old : null, es) });
    changes += data.length;
  }
  return messages;
}

export function canalMessage(type: 'INSERT' | 'UPDATE' | 'DELETE', db: string, table: string, data: Row[], old: Row[] | null, es: number): string {
  const columns = Object.keys(data[0] ?? {});
  return JSON.stringify({
    data,
    database: db,
    es,
    id: 1,
    isDdl: false,
    mysqlType: Object.fromEntries(columns.map((c) => [c, c === 'note' ? 'varchar(64)' : 'bigint(20)'])),
    old,
    pkNames: ['id'],
    sql: '',
    sqlType: Object.fromEntries(columns.map((c) => [c, c === 'note' ? 12 : -5])),
    table,
    ts: es + 5,
    type,
  });
}
