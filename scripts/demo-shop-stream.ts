/**
 * The demo's source database: a small shop (customers, products, orders) as canal would stream its
 * binlog, one step at a time. Each step gives the Kafka messages of that moment: new orders, status
 * updates, an order whose key changes, deletes, once a DDL, now and then a poison message, so every
 * path of K2S shows in the console. Deterministic: step n always gives the same changes.
 */
export type DemoMessage = { key: string; value: string }

type Column = { name: string; mysqlType: string; sqlType: number }
const tables: Record<string, Column[]> = {
  customers: [
    { name: 'id', mysqlType: 'bigint', sqlType: -5 },
    { name: 'name', mysqlType: 'varchar(64)', sqlType: 12 },
    { name: 'city', mysqlType: 'varchar(32)', sqlType: 12 },
  ],
  products: [
    { name: 'id', mysqlType: 'bigint', sqlType: -5 },
    { name: 'title', mysqlType: 'varchar(64)', sqlType: 12 },
    { name: 'price', mysqlType: 'decimal(10,2)', sqlType: 3 },
  ],
  orders: [
    { name: 'id', mysqlType: 'bigint', sqlType: -5 },
    { name: 'customer_id', mysqlType: 'bigint', sqlType: -5 },
    { name: 'product_id', mysqlType: 'bigint', sqlType: -5 },
    { name: 'qty', mysqlType: 'int', sqlType: 4 },
    { name: 'amount', mysqlType: 'decimal(12,2)', sqlType: 3 },
    { name: 'status', mysqlType: 'varchar(16)', sqlType: 12 },
  ],
}

/** The StarRocks tables the demo loads into (database `dw`), Primary Key so deletes and key changes apply. */
export const demoTargetDdl = [
  'CREATE DATABASE dw',
  'CREATE TABLE dw.customers (id BIGINT NOT NULL, name VARCHAR(64), city VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1',
  'CREATE TABLE dw.products (id BIGINT NOT NULL, title VARCHAR(64), price DECIMAL(10,2)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1',
  'CREATE TABLE dw.orders (id BIGINT NOT NULL, customer_id BIGINT, product_id BIGINT, qty INT, amount DECIMAL(12,2), status VARCHAR(16)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1',
]

const names = ['Li Wei', 'Anna Schmidt', 'Wang Fang', 'John Doe', 'Zhang Min', 'Maria Rossi', 'Chen Jie', 'Yuki Tanaka']
const cities = ['Shanghai', 'Berlin', 'Hangzhou', 'London', 'Shenzhen', 'Milan', 'Beijing', 'Osaka']
const products = [['Tea cup', '12.50'], ['Notebook', '4.20'], ['Desk lamp', '39.90'], ['Backpack', '59.00'], ['Pen set', '8.75']] as const

/** Every how many steps each kind of change happens; the poison message comes at step 40 and every 1000 after. */
export const demoEvery = { statusUpdate: 3, delete: 7, keyChange: 11, poison: 1000 } as const
export const demoFirstPoisonStep = 40
/** The step of the one DDL. */
export const demoDdlStep = 25

// Order `id` is inserted at step id − 1000, renumbered at step id − 999 when that step is a key change.
const renumbered = (id: number) => (id - 999) % demoEvery.keyChange === 0

type Row = Record<string, string | null>

function flat(type: 'INSERT' | 'UPDATE' | 'DELETE', table: string, data: Row[], old: Row[] | null, now: number, id: number): string {
  const columns = tables[table]!
  return JSON.stringify({
    data,
    database: 'shop',
    es: now,
    id,
    isDdl: false,
    mysqlType: Object.fromEntries(columns.map((c) => [c.name, c.mysqlType])),
    old,
    pkNames: ['id'],
    sql: '',
    sqlType: Object.fromEntries(columns.map((c) => [c.name, c.sqlType])),
    table,
    ts: now,
    type,
  })
}

function order(n: number): Row {
  const [, price] = products[n % products.length]!
  const qty = (n % 3) + 1
  return { id: String(n), customer_id: String((n % names.length) + 1), product_id: String((n % products.length) + 1), qty: String(qty), amount: (Number(price) * qty).toFixed(2), status: 'paid' }
}

/** The messages of step `n` (0, 1, 2 …), stamped with `now` as their binlog time. */
export function shopStep(n: number, now: number): DemoMessage[] {
  const out: DemoMessage[] = []
  const msg = (table: string, key: string, value: string) => out.push({ key: `${table}:${key}`, value })
  if (n === 0) {
    names.forEach((name, i) => msg('customers', String(i + 1), flat('INSERT', 'customers', [{ id: String(i + 1), name, city: cities[i]! }], null, now, n)))
    msg('products', 'all', flat('INSERT', 'products', products.map(([title, price], i) => ({ id: String(i + 1), title, price })), null, now, n))
  }
  // One new order every step; order ids start at 1000.
  const id = 1000 + n
  msg('orders', String(id), flat('INSERT', 'orders', [order(id)], null, now, n))
  // A renumbered order is gone under its old id: updating it would bring it back.
  if (n > 0 && n % demoEvery.statusUpdate === 0 && !renumbered(id - 2)) {
    const shipped = id - 2
    msg('orders', String(shipped), flat('UPDATE', 'orders', [{ ...order(shipped), status: 'shipped' }], [{ status: 'paid' }], now, n))
  }
  if (n > 0 && n % demoEvery.delete === 0) {
    // A cancelled order: deleted. Not one a key change or a status update touches.
    const cancelled = id - 5
    msg('orders', String(cancelled), flat('DELETE', 'orders', [order(cancelled)], null, now, n))
  }
  if (n > 0 && n % demoEvery.keyChange === 0) {
    // An order renumbered (its key changes): the old id must disappear from StarRocks.
    const old = id - 1
    msg('orders', String(old), flat('UPDATE', 'orders', [{ ...order(old), id: String(old + 1_000_000) }], [{ id: String(old) }], now, n))
  }
  if (n === demoDdlStep) {
    msg('orders', 'ddl', JSON.stringify({ data: null, database: 'shop', es: now, id: n, isDdl: true, mysqlType: null, old: null, pkNames: null, sql: 'ALTER TABLE orders ADD COLUMN coupon VARCHAR(16)', sqlType: null, table: 'orders', ts: now, type: 'ALTER' }))
  }
  if (n % demoEvery.poison === demoFirstPoisonStep) {
    // What a broken producer writes: not canal JSON. K2S quarantines it; everything else flows on.
    msg('orders', 'poison', `{"database":"shop","table":"orders","type":"INSERT","data":[{"id":"${id}"`)
  }
  return out
}
