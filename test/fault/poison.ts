import type { QuarantineItem } from '../../src/instances/instance-activity.ts';
import { blobTable, canalMessage, strictTable, type StreamMessage } from './stream.ts';

/**
 * Poison for one stream, mixed in at seeded positions: invalid JSON, a message for a table no rule
 * maps, and a row StarRocks filters (NULL into NOT NULL). The first and the last must be
 * quarantined with their reasons (the filtered row alone, with its column); the unmapped one is
 * counted per source table.
 */
export const unmappedTable = 'unmapped_log';

export function mixInPoison(messages: StreamMessage[], db: string, partitions: number, random: () => number): StreamMessage[] {
  const poison: StreamMessage[] = [
    { partition: 0, rows: 0, value: `{"data":[{"id":"1","note":"cut short"}],"database":"${db}","table":"orders","type":"INS` },
    { partition: 0, rows: 1, value: canalMessage('INSERT', db, unmappedTable, [{ id: '1', note: 'nobody maps me' }], null, 1_700_000_000_000) },
    { partition: 0, rows: 1, value: canalMessage('INSERT', db, strictTable, [{ id: '1', note: null }], null, 1_700_000_000_000) },
  ];
  const out = [...messages];
  for (const p of poison) out.splice(Math.floor(random() * out.length), 0, { ...p, partition: Math.floor(random() * partitions) });
  return out;
}

/** What is wrong with the quarantine of a poisoned stream; empty when it holds exactly the poison. */
export function poisonProblems(db: string, items: readonly QuarantineItem[], skipped: Record<string, number>): string[] {
  const problems: string[] = [];
  const json = items.filter((i) => i.reason.startsWith('invalid JSON') && i.payloadKind === 'raw');
  // One bad row quarantines one row: the item is that row, with the column StarRocks named.
  const filtered = items.filter((i) => i.table === `${db}.${strictTable}` && i.payloadKind === 'rows' && i.rows === 1 && i.column === 'note' && /non-nullable column 'note'/.test(i.reason));
  if (json.length !== 1) problems.push(`expected 1 invalid-JSON item, found ${json.length}`);
  if (filtered.length !== 1) problems.push(`expected 1 filtered-row item for ${db}.${strictTable}, found ${filtered.length}`);
  const others = items.length - json.length - filtered.length;
  if (others !== 0) problems.push(`${others} other quarantined items: ${items.map((i) => i.reason).join('; ')}`);
  if (skipped[`${db}.${unmappedTable}:unmapped`] !== 1) problems.push(`unmapped ${db}.${unmappedTable} counted ${skipped[`${db}.${unmappedTable}:unmapped`] ?? 0} times, expected 1`);
  return problems;
}

/**
 * One canal INSERT of about `bytes` (wide rows into the blob table), at a seeded position: it must
 * load whole, like any other message. The topic must accept it (max.message.bytes).
 */
export function mixInHugeMessage(messages: StreamMessage[], db: string, partitions: number, random: () => number, bytes: number): StreamMessage[] {
  const width = 60_000;
  const data = Array.from({ length: Math.ceil(bytes / width) }, (_, i) => ({ id: String(i + 1), note: String.fromCharCode(97 + (i % 26)).repeat(width) }));
  const huge: StreamMessage = { partition: Math.floor(random() * partitions), rows: data.length, value: canalMessage('INSERT', db, blobTable, data, null, 1_700_000_000_000) };
  const out = [...messages];
  out.splice(Math.floor(random() * out.length), 0, huge);
  return out;
}
