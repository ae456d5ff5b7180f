import type { Columns, MysqlRow } from '../harness/cdc-fixtures.ts'

/**
 * The change stream the formats test sends three ways (canal, Debezium, Maxwell), and what a
 * replay of it must leave in StarRocks, written apart from src/ as test/fault/oracle.ts is: a
 * seeded list of MySQL changes, each row in MySQL's own text, replayed per key. Primary Key table
 * `items` keeps the last image per key (a key change deletes the old key); Duplicate Key table
 * `log` appends every image, and a DELETE appends the row marked deleted (soft delete mode).
 */
export type Format = 'canal' | 'debezium' | 'maxwell'

export type Change =
  | { kind: 'insert'; table: 'items' | 'log'; row: MysqlRow; tsMs: number; snapshot?: boolean }
  | { kind: 'update'; table: 'items' | 'log'; before: MysqlRow; row: MysqlRow; tsMs: number }
  | { kind: 'delete'; table: 'items' | 'log'; before: MysqlRow; tsMs: number }

export const itemColumns: Columns = {
  id: { kind: 'bigint' },
  amount: { kind: 'decimal', scale: 2 },
  born: { kind: 'date' },
  seen: { kind: 'datetime', fsp: 6 },
  changed: { kind: 'timestamp' },
  doc: { kind: 'json' },
  tags: { kind: 'set' },
  flags: { kind: 'bit', length: 16 },
  note: { kind: 'varchar' },
}
export const logColumns: Columns = { id: { kind: 'bigint' }, msg: { kind: 'varchar' } }

export const setMembers = ['a', 'b', 'c']

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

export function changeStream(seed: number, count: number): Change[] {
  const rnd = mulberry32(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  let nextId = 1
  let ts = 1_700_000_000_000
  const live = new Map<string, MysqlRow>()
  const item = (id: string): MysqlRow => {
    const micros = int(4) === 0 ? 0 : int(1_000_000)
    const y = 1960 + int(80)
    return {
      id,
      amount: `${int(2) ? '-' : ''}${int(1_000_000)}.${pad(int(100))}`,
      born: `${y}-${pad(1 + int(12))}-${pad(1 + int(28))}`,
      seen: `${2000 + int(30)}-${pad(1 + int(12))}-${pad(1 + int(28))} ${pad(int(24))}:${pad(int(60))}:${pad(int(60))}.${pad(micros, 6)}`,
      changed: new Date(Date.UTC(2001 + int(30), int(12), 1 + int(28), int(24), int(60), int(60))).toISOString().replace('.000Z', `.${pad(micros, 6)}Z`),
      doc: int(5) === 0 ? null : `{"k": ${int(1000)}, "s": "v${int(9)}"}`,
      tags: setMembers.filter(() => int(2) === 1).join(','),
      flags: String(int(65536)),
      note: int(6) === 0 ? null : int(3) === 0 ? `中文 ${int(100)}` : `note ${int(100)}`,
    }
  }
  const changes: Change[] = []
  // A snapshot first (Debezium op "r", Maxwell bootstrap-insert, canal INSERT).
  for (let i = 0; i < 5; i++) {
    const row = item(String(nextId++))
    live.set(row.id!, row)
    changes.push({ kind: 'insert', table: 'items', row, tsMs: ts, snapshot: true })
  }
  while (changes.length < count) {
    ts += 1000 * (1 + int(3))
    const ids = [...live.keys()]
    const dice = int(10)
    if (dice < 3 || ids.length < 3) {
      const row = item(String(nextId++))
      live.set(row.id!, row)
      changes.push({ kind: 'insert', table: 'items', row, tsMs: ts })
    } else if (dice < 6) {
      const before = live.get(ids[int(ids.length)]!)!
      const fresh = item(before.id!)
      // Some columns change, others keep their value, as an UPDATE does.
      const row = Object.fromEntries(Object.entries(before).map(([c, v]) => [c, c !== 'id' && int(2) ? fresh[c]! : v]))
      if (row.note === before.note) row.note = `edited ${changes.length}`
      live.set(row.id!, row)
      changes.push({ kind: 'update', table: 'items', before, row, tsMs: ts })
    } else if (dice < 7) {
      // A key change.
      const before = live.get(ids[int(ids.length)]!)!
      const row = { ...before, id: String(nextId++), note: `moved from ${before.id}` }
      live.delete(before.id!)
      live.set(row.id, row)
      changes.push({ kind: 'update', table: 'items', before, row, tsMs: ts })
    } else if (dice < 8) {
      const before = live.get(ids[int(ids.length)]!)!
      live.delete(before.id!)
      changes.push({ kind: 'delete', table: 'items', before, tsMs: ts })
    } else {
      const row = { id: String(1 + int(5)), msg: `event ${changes.length}` }
      changes.push(int(4) === 0 ? { kind: 'delete', table: 'log', before: row, tsMs: ts } : { kind: 'insert', table: 'log', row, tsMs: ts })
    }
  }
  return changes
}

/** TIMESTAMP as each tool renders it: canal in its server's zone (Asia/Shanghai here, UTC+8 with no daylight saving since 1991), Maxwell in UTC; Debezium sends the instant and K2S writes it in the instance's zone (Asia/Shanghai). */
export function timestampText(iso: string, zone: 'UTC' | 'Asia/Shanghai'): string {
  const ms = Date.parse(iso) + (zone === 'Asia/Shanghai' ? 8 * 3_600_000 : 0)
  const wall = new Date(ms).toISOString()
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)}.${iso.slice(20, 26)}`
}

/** canal sends a SET as the bitmask of its members. */
export const setBitmask = (tags: string): string => String(tags === '' ? 0 : tags.split(',').reduce((n, m) => n | (1 << setMembers.indexOf(m)), 0))

// The emulator's rendering of DATETIME: six fraction digits, none when they are all zero.
const datetime = (text: string) => text.replace(/\.000000$/, '')
const binlogTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

/** The final `items` and `log` tables after loading the stream in the given format. */
export function expectedTables(changes: readonly Change[], format: Format): { items: MysqlRow[]; log: MysqlRow[] } {
  const items = new Map<string, MysqlRow>()
  const log: MysqlRow[] = []
  const zone = format === 'maxwell' ? 'UTC' : 'Asia/Shanghai'
  const itemRow = (row: MysqlRow, event: string, tsMs: number): MysqlRow => ({
    ...row,
    seen: datetime(row.seen!),
    changed: datetime(timestampText(row.changed!, zone)),
    tags: format === 'canal' ? setBitmask(row.tags!) : row.tags!,
    src: 'items',
    ev: event,
    bt: binlogTime(tsMs),
  })
  for (const c of changes) {
    if (c.table === 'log') {
      if (c.kind === 'insert') log.push({ ...c.row, deleted: '0' })
      else if (c.kind === 'delete') log.push({ ...c.before, deleted: '1' })
      continue
    }
    if (c.kind === 'insert') items.set(c.row.id!, itemRow(c.row, 'INSERT', c.tsMs))
    else if (c.kind === 'delete') items.delete(c.before.id!)
    else {
      items.delete(c.before.id!)
      // Debezium sends a key change as a delete and a create: the new row's event is an INSERT.
      const moved = c.before.id !== c.row.id
      items.set(c.row.id!, itemRow(c.row, moved && format === 'debezium' ? 'INSERT' : 'UPDATE', c.tsMs))
    }
  }
  return { items: [...items.values()], log }
}
