import { blobTable, faultTables, strictTable, type Row, type StreamMessage } from './stream.ts';

/**
 * The expected final contents of every target table, from replaying the stream with docs/design.md's
 * canal → rows rules, independently of K2S' own code: Primary Key tables keep the last image per
 * key (an update that changes the key deletes the old one), Duplicate Key tables hold every
 * upserted image once, and a DELETE follows the table's delete mode.
 */
export type Expected = Map<string, Row[]>;

export function replay(db: string, messages: readonly StreamMessage[]): Expected {
  const keyed = new Map<string, Map<string, Row>>();
  const appended = new Map<string, Row[]>();
  for (const t of faultTables) (t.model === 'PRIMARY' ? keyed.set(t.name, new Map()) : appended.set(t.name, []));
  keyed.set(strictTable, new Map());
  keyed.set(blobTable, new Map());

  for (const { value } of messages) {
    let m: { database?: string; table?: string; type?: string; data?: Row[]; old?: Row[] | null };
    try {
      m = JSON.parse(value);
    } catch {
      continue; // poison: the quarantine must hold it, no table gets a row
    }
    if (m.database !== db || !m.data) continue;
    const table = faultTables.find((t) => t.name === m.table);
    const pk = keyed.get(m.table ?? '');
    const soft = table?.deleteMode === 'soft';
    m.data.forEach((row, i) => {
      if (pk) {
        // NULL into a NOT NULL column: StarRocks filters the row, K2S quarantines it.
        if (m.table === strictTable && row.note === null) return;
        if (m.type === 'DELETE') pk.delete(row.id!);
        else {
          const oldId = m.type === 'UPDATE' ? m.old?.[i]?.id : undefined;
          if (oldId !== undefined && oldId !== row.id) pk.delete(oldId!);
          pk.set(row.id!, row);
        }
        return;
      }
      const rows = appended.get(m.table ?? '');
      if (!rows) return; // unmapped source table
      if (m.type === 'DELETE') {
        if (soft) rows.push({ ...row, deleted: '1' });
      } else {
        rows.push(soft ? { ...row, deleted: '0' } : row);
      }
    });
  }

  const expected: Expected = new Map();
  for (const [name, rows] of keyed) expected.set(name, [...rows.values()]);
  for (const [name, rows] of appended) expected.set(name, rows);
  return expected;
}

/** Every value as the emulator's MySQL text rendering gives it (strings, or null). */
export function rowKey(row: Row, columns: readonly string[]): string {
  return JSON.stringify(columns.map((c) => row[c] ?? null));
}
