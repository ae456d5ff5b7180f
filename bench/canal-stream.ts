import type { TestMessage } from '../test/harness/kafka-helpers.ts'

/**
 * A synthetic but realistic canal flat-message stream: 20 order-like Primary Key tables with a dozen
 * mixed-type columns (~300 bytes of JSON per row), 1–50 rows per message (mean ~10), 80% INSERT /
 * 15% UPDATE / 5% DELETE. Seeded, so every run produces the same stream.
 */
export const sourceDatabase = 'shop'

export const benchColumns: [name: string, mysqlType: string, sqlType: number, starrocks: string][] = [
  ['id', 'bigint(20)', -5, 'BIGINT NOT NULL'],
  ['customer_id', 'bigint(20)', -5, 'BIGINT'],
  ['order_no', 'varchar(32)', 12, 'VARCHAR(32)'],
  ['customer_name', 'varchar(64)', 12, 'VARCHAR(64)'],
  ['email', 'varchar(128)', 12, 'VARCHAR(128)'],
  ['amount', 'decimal(12,2)', 3, 'DECIMAL(12,2)'],
  ['tax', 'decimal(10,2)', 3, 'DECIMAL(10,2)'],
  ['quantity', 'int(11)', 4, 'INT'],
  ['status', 'varchar(16)', 12, 'VARCHAR(16)'],
  ['note', 'varchar(255)', 12, 'VARCHAR(255)'],
  ['created_at', 'datetime', 93, 'DATETIME'],
  ['updated_at', 'datetime', 93, 'DATETIME'],
]

export const tableName = (i: number) => `orders_${String(i).padStart(2, '0')}`

export function createTableSql(targetDb: string, table: string): string {
  const cols = benchColumns.map(([name, , , type]) => `${name} ${type}`).join(', ')
  return `CREATE TABLE ${targetDb}.${table} (${cols}) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4`
}

/** Park–Miller, as in the tests: cheap and deterministic. */
function random(seed: number) {
  let state = seed
  return () => {
    state = (state * 48271) % 2147483647
    return state / 2147483647
  }
}

const statuses = ['new', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded']
const names = ['Ann Lee', 'Bob Martin', 'Chen Wei', 'Dana Kowalski', 'Eve Johansson', 'Farid Haddad', 'Grace Okafor', 'Hiro Tanaka']
const notes = ['leave at the door', 'gift wrap, no invoice in the box', 'call before delivery', 'fragile: glassware', '']

export type CanalStream = { messages: TestMessage[]; rows: number; bytes: number; rowsPerPartition: number[]; byType: Record<string, number> }

export type CanalMessage = { partition: number; value: string; table: string; rows: number; type: string }

export function canalStream(opts: { rows: number; partitions: number; tables: number; seed?: number }): CanalStream {
  const messages: TestMessage[] = []
  const rowsPerPartition = new Array<number>(opts.partitions).fill(0)
  const byType: Record<string, number> = { INSERT: 0, UPDATE: 0, DELETE: 0 }
  let rows = 0
  let bytes = 0
  for (const m of canalMessages(opts)) {
    messages.push({ partition: m.partition, value: m.value })
    rowsPerPartition[m.partition]! += m.rows
    byType[m.type]! += m.rows
    rows += m.rows
    bytes += Buffer.byteLength(m.value)
  }
  return { messages, rows, bytes, rowsPerPartition, byType }
}

/** The same stream one message at a time, for a producer that paces itself; endless without `rows`. */
export function* canalMessages(opts: { rows?: number; partitions: number; tables: number; seed?: number }): Generator<CanalMessage> {
  const limit = opts.rows ?? Infinity
  const rnd = random(opts.seed ?? 20261124)
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!
  const nextId = new Array<number>(opts.tables).fill(1)
  const datetime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
  const row = (id: number, at: number): Record<string, string | null> => ({
    id: String(id),
    customer_id: String(100_000 + Math.floor(rnd() * 900_000)),
    order_no: `SO-2026-${String(id).padStart(10, '0')}`,
    customer_name: pick(names),
    email: `${pick(names).toLowerCase().replace(' ', '.')}@example.com`,
    amount: (rnd() * 10_000).toFixed(2),
    tax: (rnd() * 800).toFixed(2),
    quantity: String(1 + Math.floor(rnd() * 20)),
    status: pick(statuses),
    note: pick(notes) || null,
    created_at: datetime(at - 86_400_000),
    updated_at: datetime(at),
  })
  const mysqlType = Object.fromEntries(benchColumns.map(([n, t]) => [n, t]))
  const sqlType = Object.fromEntries(benchColumns.map(([n, , s]) => [n, s]))

  let rows = 0
  let canalId = 1
  const es0 = Date.UTC(2026, 10, 24)
  while (rows < limit) {
    const t = Math.floor(rnd() * opts.tables)
    // Mean ~10, long tail to 50: most binlog events touch a few rows, bulk statements many.
    const n = Math.min(50, limit - rows, 1 + Math.floor(-Math.log(1 - rnd()) * 9))
    const dice = rnd()
    // UPDATE/DELETE need rows that exist; until the table has enough, insert instead.
    const type = nextId[t]! <= n ? 'INSERT' : dice < 0.8 ? 'INSERT' : dice < 0.95 ? 'UPDATE' : 'DELETE'
    const es = es0 + canalId * 10
    const ids = type === 'INSERT'
      ? Array.from({ length: n }, () => nextId[t]!++)
      : Array.from({ length: n }, () => 1 + Math.floor(rnd() * (nextId[t]! - 1)))
    const data = ids.map((id) => row(id, es))
    const value = JSON.stringify({
      data,
      database: sourceDatabase,
      es,
      id: canalId++,
      isDdl: false,
      mysqlType,
      old: type === 'UPDATE' ? data.map((r) => ({ status: 'new', amount: r.amount, updated_at: r.created_at })) : null,
      pkNames: ['id'],
      sql: '',
      sqlType,
      table: tableName(t),
      ts: es + 5,
      type,
    })
    // canal's table routing (`dynamicTopicPartitionNum` by table): a table's events stay in order in one partition.
    yield { partition: t % opts.partitions, value, table: tableName(t), rows: n, type }
    rows += n
  }
}
