/**
 * CPU cost of the StarRocks emulator's Stream Load data path, in process: the body → row
 * operations step (`readLoadData`) and applying them to the table (`TableStore.apply`), per row.
 * The bodies are what K2S sends for the benchmark's canal stream: JSON arrays with
 * strip_outer_array, every value a JSON string or null, `__op` 0/1 on a Primary Key table.
 *
 *   node --import tsx bench/emulator-hot-path.ts [--rows=100000] [--batch=5000] [--runs=5]
 */
import { parseArgs } from 'node:util'
import { AlterJobs } from '../test/starrocks-emulator/alter-jobs.ts'
import { Catalog } from '../test/starrocks-emulator/catalog.ts'
import { prepareLoad, readLoadData, type LoadData, type PreparedLoad } from '../test/starrocks-emulator/load-executor.ts'
import { checkLoadHeaders } from '../test/starrocks-emulator/load-options.ts'
import { runStatement } from '../test/starrocks-emulator/mysql-statements.ts'
import type { Table } from '../test/starrocks-emulator/catalog.ts'
import { canalMessages, createTableSql } from './canal-stream.ts'

const { values: args } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' }, runs: { type: 'string' } } })
const rows = Number(args.rows ?? 100_000)
const batch = Number(args.batch ?? 5_000)
const runs = Number(args.runs ?? 5)

type CanalValue = { type: string; data: Record<string, string | null>[] }

/** K2S's rows for the stream (src/row-changes.ts): the row image as is, `__op` a JSON number. */
function streamLoadBodies(): Buffer[] {
  const lines: string[] = []
  for (const m of canalMessages({ rows, partitions: 1, tables: 1 })) {
    const event = JSON.parse(m.value) as CanalValue
    const op = event.type === 'DELETE' ? 1 : 0
    for (const image of event.data) lines.push(JSON.stringify({ ...image, __op: op }))
  }
  const bodies: Buffer[] = []
  for (let i = 0; i < lines.length; i += batch) bodies.push(Buffer.from(`[${lines.slice(i, i + batch).join(',')}]`))
  return bodies
}

function freshTable(): Table {
  const now = () => Date.now()
  const catalog = new Catalog(now, new AlterJobs({ now, delayMs: 0, nextTxnId: () => 1 }))
  const session = { currentDb: null, user: 'root', connectionId: 1 }
  runStatement(catalog, session, 'CREATE DATABASE bench')
  runStatement(catalog, session, createTableSql('bench', 'orders'))
  return catalog.table('bench', 'orders')!
}

function plan(table: Table): PreparedLoad {
  const headers = { format: 'json', strip_outer_array: 'true', strict_mode: 'true' }
  const options = checkLoadHeaders(headers, { format: 'json', timeoutSeconds: 600 })
  if (!options.ok) throw new Error(options.message)
  const load = prepareLoad(table.schema, options.value)
  if ('error' in load) throw new Error(load.error)
  return load
}

/** One pass over all bodies; returns the milliseconds spent in each stage. */
function run(bodies: Buffer[]): { read: number; apply: number; loaded: number } {
  const table = freshTable()
  const load = plan(table)
  const now = new Date()
  let read = 0
  let apply = 0
  let loaded = 0
  for (const body of bodies) {
    const t0 = performance.now()
    const data: LoadData = readLoadData(load, body, now)
    const t1 = performance.now()
    table.store.apply(data.ops, data.columns)
    apply += performance.now() - t1
    read += t1 - t0
    if (data.filteredRows > 0) throw new Error(`filtered rows: ${data.errorLines[0]}`)
    loaded += data.ops.length
  }
  return { read, apply, loaded }
}

const bodies = streamLoadBodies()
const bytes = bodies.reduce((n, b) => n + b.length, 0)
console.log(`${rows} rows in ${bodies.length} bodies of ${batch} rows, ${(bytes / rows).toFixed(0)} bytes/row, best of ${runs} runs`)
let best = { read: Infinity, apply: Infinity, total: Infinity }
for (let i = 0; i < runs; i++) {
  const r = run(bodies)
  if (r.loaded !== rows) throw new Error(`loaded ${r.loaded} of ${rows} rows`)
  best = { read: Math.min(best.read, r.read), apply: Math.min(best.apply, r.apply), total: Math.min(best.total, r.read + r.apply) }
}
const perRow = (ms: number) => `${((ms * 1000) / rows).toFixed(2)} µs/row`
console.log(`readLoadData (body → row ops):  ${perRow(best.read)}`)
console.log(`TableStore.apply (ops → table): ${perRow(best.apply)}`)
console.log(`total:                          ${perRow(best.total)}`)
