import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { benchColumns, canalStream, sourceDatabase } from '../../../bench/canal-stream.ts'
import { benchMappingEnv } from '../../../bench/k2s-cluster.ts'
import { canalRowCount, decodeCanalMessage } from '../../../src/formats/canal/canal-message.ts'
import { canalScanner } from '../../../src/formats/canal/canal-scan.ts'
import { mappingEnvSchema, type MappingRule, type MetadataKind } from '../../../src/instances/config.ts'
import { tableRowsBuilder } from '../../../src/rows/row-changes.ts'
import type { TableRows } from '../../../src/rows/table-rows.ts'
import type { TargetTable } from '../../../src/starrocks/starrocks-schema.ts'
import { createTableRouter, type RouteTarget } from '../../../src/rows/table-mapping.ts'
import { loadBatch, type LoadContext } from '../../../workers/load-batch.ts'
import type { InstanceConfig } from '../../../src/instances/config.ts'
import { faultTables, generateStream, mappingFor, prng } from '../../fault/stream.ts'

/**
 * The canal fast path (canal-scan.ts + canal-fast-rows.ts) against the reference, decodeCanalMessage
 * and the row builder: for every message, realistic or hostile, the fast path either declines or
 * gives the very same rows (keys in the same order, same values) and counts.
 */
type Random = () => number

// A JSON value written by hand, so a message can hold duplicate keys, any key order and any escapes.
type Json = null | boolean | string | { num: string } | Json[] | { obj: [string, Json][] }

type Style = { ws: () => string; str: (s: string, key: boolean) => string }

function write(v: Json, s: Style): string {
  if (v === null || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return s.str(v, false)
  if (Array.isArray(v)) return `[${s.ws()}${v.map((x) => write(x, s)).join(`${s.ws()},${s.ws()}`)}${s.ws()}]`
  if ('num' in v) return v.num
  return `{${s.ws()}${v.obj.map(([k, x]) => `${s.str(k, true)}${s.ws()}:${s.ws()}${write(x, s)}`).join(`${s.ws()},${s.ws()}`)}${s.ws()}}`
}

function styleFor(rnd: Random, hostile: boolean): Style {
  const spaced = rnd() < 0.15
  const slashes = rnd() < 0.2
  const unicode = rnd() < 0.2
  const escapedLetters = rnd() < 0.1
  return {
    ws: () => (spaced && rnd() < 0.3 ? [' ', '\n', '\t', '\r\n', '  '][Math.floor(rnd() * 5)]! : ''),
    str: (text, key) => {
      let out = JSON.stringify(text)
      if (slashes) out = out.replace(/\//g, '\\/')
      if (unicode && (!key || hostile)) out = out.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      if (escapedLetters && (!key || (hostile && rnd() < 0.05))) out = out.replace(/[aeo]/g, (c) => (rnd() < 0.3 ? `\\u00${c.charCodeAt(0).toString(16)}` : c))
      return out
    },
  }
}

const sourceColumns = ['id', 'ID', 'Id', 'v', 'note', 'Note', 'name', 'amount', 'deleted', 'src_db', '__op', '1st', '12', '7', '__proto__', '列名', 'emoji😀', 'a b', 'k"q', 'part', 'binlog_ms']
// Source columns the fast path can take under most mappings.
const friendlyColumns = ['id', 'v', 'note', 'name', 'amount', 'deleted', 'src_db', 'part', '列名', 'emoji😀', 'a b']
const values: (string | null)[] = [
  '1', '42', '18446744073709551615', '-0.5', '1.0E-4', '', 'hello', 'a"b', 'back\\slash', 'slash/ed', 'é', '中文字符', '😀 smile', '\u0000', 'tab\tnew\nline',
  '\u2028', 'x\r\n', '\ud800', '\udfff\ud83d', '0000-00-00 00:00:00', '0000-00-00', '2024-02-29 23:59:59.123456', '3', '{"a": [1, 2.50]}', null, null,
]
const mysqlTypes = ["enum('a','b','it''s')", "set('x','y')", 'blob', 'varbinary(16)', 'json', 'datetime(6)', 'date', 'int(11)', 'geometry', 'bigint(20) unsigned']
const targetPool = ['tenant', 'v', 'Note', 'name', 'amount', 'deleted', 'src_db', 'binlog_ms', 'binlog_at', 'op_type', 'renamed', '__op', '9lives', '12', '__proto__', 'part', 'offset_no']
// Numbers JSON.parse refuses, though Number() or a lax scanner might take them.
const badNumbers = ['1.', '01', '-', '1e', '.5', '+1', '1.e5', '0x10', 'NaN', 'Infinity', '-01', '1e+', '--1', '1.5.2']

const pick = <T>(rnd: Random, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
const some = <T>(rnd: Random, xs: readonly T[], p: number): T[] => xs.filter(() => rnd() < p)

/** A random mapping: renames (some colliding), exclusions, metadata and soft-delete columns, either model. */
function randomSetup(rnd: Random, typed = true): { route: RouteTarget; target: TargetTable } {
  const columnRenames = Object.fromEntries(some(rnd, [['name', 'renamed'], ['amount', 'note'], ['Note', 'v'], ['列名', 'renamed'], ['ID', 'id'], ['part', 'name']] as const, 0.25))
  const metadataColumns = Object.fromEntries(
    some(rnd, [['src_db', 'sourceDatabase'], ['binlog_ms', 'binlogTimeMs'], ['op_type', 'eventType'], ['NOTE', 'sourceTable'], ['Src_DB', 'kafkaOffset'], ['binlog_at', 'binlogTime'], ['part', 'kafkaPartition'], ['offset_no', 'kafkaOffset']] as const, 0.2),
  ) as Record<string, MetadataKind>
  const deleteMode = pick(rnd, ['hard', 'soft', 'ignore'] as const)
  const rule: MappingRule = {
    sourceDatabase: 'shop|商店',
    sourceTable: 'orders|items',
    targetDatabase: 'dw',
    targetTable: '${table}',
    columnRenames,
    excludeColumns: some(rnd, ['amount', 'NOTE', 'v', 'id', 'note'], 0.15),
    metadataColumns,
    constantColumns: Object.fromEntries(some(rnd, [['tenant', 'acme'], ['Note', 'fixed "note"'], ['v', '中文'], ['renamed', '']] as const, 0.15).filter(([c]) => !Object.keys(metadataColumns).some((m) => m.toLowerCase() === c.toLowerCase()))),
    needTypes: ['insert', 'update', 'delete'],
    deleteMode,
    ...(deleteMode === 'soft' || rnd() < 0.2 ? { softDeleteColumn: pick(rnd, ['deleted', 'Deleted', 'missing_col', 'src_db']) } : {}),
  }
  const model = rnd() < 0.6 ? 'PRIMARY' : 'DUPLICATE'
  const composite = rnd() < 0.3
  const names = ['id', ...some(rnd, targetPool, 0.6)]
  // Typed targets: zero dates become NULL, ENUM/SET/binary sources into strings are converted, and
  // JSON or VARBINARY columns leave the whole table to the builder.
  const typedPool = rnd() < 0.15 ? ['json', 'varbinary', 'date', 'datetime', 'bigint'] : ['date', 'datetime', 'bigint']
  const columns = names.map((name) => ({ name, dataType: typed && name !== 'id' && rnd() < 0.25 ? pick(rnd, typedPool) : 'varchar', nullable: name !== 'id', isKey: name === 'id' || (composite && name === 'v') }))
  const target: TargetTable = { database: 'dw', table: 'orders', model, columns, keyColumns: columns.filter((c) => c.isKey).map((c) => c.name) }
  return { route: { rule, ruleIndex: 0, database: 'dw', table: 'orders' }, target }
}

function randomRow(rnd: Random, hostile: boolean, keys: string[]): Json {
  const entries: [string, Json][] = keys.map((k) => [k, pick(rnd, values)])
  const r = hostile ? rnd() : 1
  if (r < 0.02) entries.push([pick(rnd, keys.length > 0 ? keys : ['id']), pick(rnd, values)])
  else if (r < 0.04 && entries.length > 0) entries[0]![1] = pick(rnd, [{ num: '7' }, true, { obj: [] }, ['1'], { num: '-1.5e3' }])
  return { obj: entries }
}

/** A canal message: a plausible row event, or a hostile one where any field may be odd or damaged. */
function randomMessage(rnd: Random): Buffer {
  const hostile = rnd() < 0.4
  const odd = (p: number) => hostile && rnd() < p
  const type = !odd(0.3) ? pick(rnd, ['INSERT', 'UPDATE', 'UPDATE', 'DELETE']) : pick(rnd, ['CREATE', 'QUERY', 'ALTER', 'TRUNCATE', 'FOO', 'insert', ''])
  const keyRoll = rnd()
  const keys = keyRoll < 0.4 ? ['id', 'v', 'note'] : keyRoll < 0.75 && !hostile ? some(rnd, friendlyColumns, 0.5).sort(() => rnd() - 0.5) : some(rnd, sourceColumns, 0.35)
  const n = Math.floor(rnd() * 5)
  const rows: Json[] = Array.from({ length: n }, () => randomRow(rnd, hostile, rnd() < 0.85 ? keys : some(rnd, sourceColumns, 0.3)))
  const oldRoll = rnd()
  const old: Json | undefined = type !== 'UPDATE' && oldRoll < 0.8
    ? null
    : oldRoll < 0.15 ? null : oldRoll < 0.2 ? undefined : oldRoll < 0.25 ? [] : oldRoll < 0.28 ? 'x'
      : Array.from({ length: !odd(0.1) ? n : n + 1 }, () => randomRow(rnd, hostile, some(rnd, rnd() < 0.3 ? ['id', 'ID', 'v', 'note'] : ['v', 'note', 'name'], 0.5)))
  const esRoll = rnd()
  const es: Json | undefined = esRoll < 0.85 ? { num: String(1_700_000_000_000 + Math.floor(rnd() * 1e9)) } : odd(0.3) ? { num: pick(rnd, badNumbers) } : pick(rnd, [undefined, '1700000000000', { num: '-0' }, { num: '1.7e12' }, { num: '1E400' }, null, { num: '0' }])
  const fields: [string, Json | undefined][] = [
    ['data', odd(0.1) ? pick(rnd, [null, 'rows', { obj: [] }, [null], ['x']]) : rows],
    ['database', !odd(0.1) ? pick(rnd, ['shop', 'shop', '商店', 'other']) : pick(rnd, ['', null, { num: '1' }, undefined])],
    ['es', es],
    ['id', { num: odd(0.05) ? pick(rnd, badNumbers) : String(Math.floor(rnd() * 1000)) }],
    ['isDdl', !odd(0.2) ? false : pick(rnd, [true, 'true', null, undefined])],
    ['mysqlType', rnd() < 0.9 ? { obj: keys.map((k) => [k, rnd() < 0.75 ? 'varchar(64)' : pick(rnd, mysqlTypes)]) } : null],
    ['old', old],
    ['pkNames', rnd() < 0.9 ? ['id'] : null],
    ['sql', rnd() < 0.9 ? '' : 'ALTER TABLE orders ADD COLUMN x INT /* \n */'],
    ['sqlType', { obj: keys.map((k) => [k, { num: pick(rnd, ['12', '-5', '3']) }]) }],
    ['table', !odd(0.1) ? pick(rnd, ['orders', 'items', 'unmapped_t']) : pick(rnd, ['', null, undefined])],
    ['ts', { num: '1700000000005' }],
    ['type', !odd(0.05) ? type : pick(rnd, [null, { num: '1' }, undefined])],
  ]
  if (rnd() < 0.05) fields.push(['extra', { obj: [['nested', [[[{ obj: [['deep', { num: '1.5e-3' }]] }]]]], ['t', true], ['f', false]] }])
  if (odd(0.05)) fields.push([pick(rnd, ['type', 'data', 'table', 'es', 'old', 'isDdl']), pick(rnd, ['INSERT', 'DELETE', null, [] as Json])])
  if (rnd() < 0.1) fields.sort(() => rnd() - 0.5)
  const present = fields.filter((f): f is [string, Json] => f[1] !== undefined)
  const text = write({ obj: present }, styleFor(rnd, hostile))
  return hostile ? mutate(rnd, Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8')
}

/**
 * Plain row events whose rows mostly repeat the keys of the row before, now and then with one
 * dropped, added, repeated or moved: the fast path's memory of keys must follow every change.
 */
// Keys told apart from a column's only by their last byte or their length.
const shiftPool = [...friendlyColumns, 'w', 'namf', 'amounT', 'amoun', 'ide']

function shiftingKeys(rnd: Random): () => Buffer {
  let keys = ['id', 'v', 'note']
  let oldKeys = ['v']
  const shift = (from: string[], pool: readonly string[]): string[] => {
    const next = [...from]
    const roll = rnd()
    if (roll < 0.1 && next.length > 0) next.pop()
    else if (roll < 0.2) next.push(pick(rnd, pool))
    else if (roll < 0.25 && next.length > 0) next.splice(Math.floor(rnd() * (next.length + 1)), 0, pick(rnd, next))
    else if (roll < 0.35 && next.length > 1) next.push(next.splice(Math.floor(rnd() * next.length), 1)[0]!)
    else if (roll < 0.4 && next.length > 0) next[Math.floor(rnd() * next.length)] = pick(rnd, pool)
    // Duplicates kept for long would decline nearly every row that follows.
    return rnd() < 0.3 ? [...new Set(next)] : next
  }
  const row = (names: string[]): Json => ({ obj: names.map((k) => [k, pick(rnd, values)]) })
  return () => {
    const type = pick(rnd, ['INSERT', 'UPDATE', 'UPDATE', 'DELETE'])
    const data: Json[] = []
    const old: Json[] = []
    for (let n = 1 + Math.floor(rnd() * 6); n > 0; n--) {
      if (rnd() < 0.5) keys = shift(keys, shiftPool)
      if (rnd() < 0.5) oldKeys = shift(oldKeys, ['id', 'v', 'note', 'name'])
      data.push(row(keys))
      old.push(row(oldKeys))
    }
    const fields: [string, Json][] = [['data', data], ['database', 'shop'], ['es', { num: '1700000000000' }], ['isDdl', false], ['old', type === 'UPDATE' ? old : null], ['table', 'orders'], ['type', type]]
    return Buffer.from(write({ obj: fields }, { ws: () => '', str: (text) => JSON.stringify(text) }))
  }
}

/** Damage at the byte level: truncation, trailing garbage, raw control bytes, invalid UTF-8, a BOM. */
function mutate(rnd: Random, b: Buffer): Buffer {
  if (rnd() < 0.5) return b
  const at = Math.floor(rnd() * b.length)
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return b.subarray(0, at)
    case 1:
      return Buffer.concat([b, Buffer.from(pick(rnd, ['x', '}', ' ', '\n', ',{}', '{}', '\u0000']))])
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), b.subarray(at + 1)])
    case 3:
      return Buffer.concat([b.subarray(0, at), Buffer.from([pick(rnd, [0x01, 0x0a, 0x1f, 0x09])]), b.subarray(at)])
    case 4:
      return Buffer.concat([b.subarray(0, at), Buffer.from(pick(rnd, [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]])), b.subarray(at)])
    case 5:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])
    case 6:
      return Buffer.concat([b.subarray(0, at), Buffer.from(pick(rnd, ['\\', '"', '\\u12', '\\x', '01', '-', '1.', '1e', 'tru', 'nul'])), b.subarray(at)])
    default:
      return Buffer.from(b.toString('utf8').replace(/"(\d+)"/, '$1'))
  }
}

type Outcome = 'declined-scan' | 'declined-rows' | 'fast'
const parsedRows = (rows: string[]) => rows.map((r) => Object.entries(JSON.parse(r) as Record<string, unknown>))

/** The fast path's verdict on one message, failing the test if it differs from the reference. */
function check(value: Buffer, route: RouteTarget, target: TargetTable, offset = '17'): Outcome {
  const scanned = canalScanner()(value)
  if (!scanned) return 'declined-scan'
  const event = decodeCanalMessage(value)
  const context = () => `message: ${value.toString('utf8')}`
  if (event.kind !== 'rows') assert.fail(`scan accepted a ${event.kind} message (${JSON.stringify(event)}); ${context()}`)
  assert.deepEqual([scanned.type, scanned.database, scanned.table, scanned.es, scanned.rows], [event.type, event.database, event.table, event.es, event.data.length], context())
  const slow = tableRowsBuilder(target)
  const fast = tableRowsBuilder(target)
  const slowResult = attempt(() => slow.add({ partition: 3, offset, event, route }), slow.result)
  const fastResult = attempt(() => fast.addScanned(scanned, 3, offset, route), fast.result)
  if (fastResult === false) return 'declined-rows'
  // Parsing hides a key written twice (the last one wins in place of the first): count them raw.
  for (const row of fast.result.body.texts()) assert.deepEqual(rawKeys(row), Object.keys(JSON.parse(row) as object), `${row}; ${context()}`)
  if (typeof slowResult === 'string' || typeof fastResult === 'string') {
    assert.equal(fastResult, slowResult, context())
    return 'fast'
  }
  const counts = (r: TableRows) => [r.upserts, r.deletes, r.ignoredDeletes, r.refused.length, r.zeroDates, r.columns]
  assert.deepEqual(counts(fast.result), counts(slow.result), context())
  assert.deepEqual(parsedRows(fast.result.body.texts()), parsedRows(slow.result.body.texts()), context())
  // The body is exactly its rows, as one JSON array.
  assert.deepEqual(JSON.parse(fast.result.body.bytes().toString('utf8')), fast.result.body.texts().map((r) => JSON.parse(r) as unknown), context())
  return 'fast'
}

/** A row object's keys as written, duplicates included (its values are strings, null or numbers). */
function rawKeys(row: string): string[] {
  return [...row.matchAll(/("(?:[^"\\]|\\.)*")(\s*:)?/g)].filter((m) => m[2]).map((m) => JSON.parse(m[1]!) as string)
}

/** The builder's result, false when the fast path declined, or the error's message when it threw. */
function attempt(add: () => unknown, result: TableRows): TableRows | false | string {
  try {
    return add() === false ? false : result
  } catch (err) {
    return `throws ${(err as Error).name}: ${(err as Error).message}`
  }
}

/** The top-level keys of a valid JSON object's text, decoded, repeats included. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (depth === 1 && /^\s*:/.test(text.slice(j + 1))) keys.push(JSON.parse(text.slice(i, j + 1)) as string)
      i = j
    } else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return keys
}

describe('canal fast path against the reference', () => {
  test('random messages and mappings, hostile ones included: declined or identical', () => {
    const rnd = prng(20261124)
    const outcomes: Record<Outcome, number> = { 'declined-scan': 0, 'declined-rows': 0, fast: 0 }
    const messages = 40_000
    let setup = randomSetup(rnd)
    for (let i = 0; i < messages; i++) {
      if (i % 50 === 0) setup = randomSetup(rnd)
      outcomes[check(randomMessage(rnd), setup.route, setup.target, String(i))]++
    }
    // The generator must keep exercising all three outcomes, or the comparison proves little.
    for (const [outcome, n] of Object.entries(outcomes)) assert.ok(n > messages / 20, `${outcome}: ${n} of ${messages}`)
  })

  test("the fetcher's row count (canalRowCount, a byte scan) matches the reference on every row event", () => {
    const rnd = prng(20261125)
    let rowEvents = 0
    for (let i = 0; i < 40_000; i++) {
      const value = randomMessage(rnd)
      const event = decodeCanalMessage(value)
      // A repeated "data" key: JSON.parse takes the last, the scan stops after the first.
      if (event.kind !== 'rows' || topLevelKeys(value.toString('utf8')).filter((k) => k === 'data').length > 1) continue
      rowEvents++
      assert.equal(canalRowCount(value), Math.max(1, event.data.length), value.toString('utf8'))
    }
    assert.ok(rowEvents > 10_000, `${rowEvents} row events`)
  })

  test('the fault suite stream, under its own mapping: all fast and identical', () => {
    const db = 'fault_db'
    const env = mappingEnvSchema.parse(mappingFor('fault', db))
    const route = createTableRouter(env)
    const columns = (t: (typeof faultTables)[number]) => ['id', 'v', 'note', ...(t.deleteMode === 'soft' ? ['deleted'] : [])]
    const targets = new Map(faultTables.map((t) => [t.name, {
      database: db, table: t.name, model: t.model, keyColumns: ['id'],
      columns: columns(t).map((name) => ({ name, dataType: 'varchar', nullable: name !== 'id', isKey: name === 'id' })),
    } satisfies TargetTable]))
    const outcomes: Record<Outcome, number> = { 'declined-scan': 0, 'declined-rows': 0, fast: 0 }
    const stream = generateStream({ seed: 7, db, rows: 20_000, partitions: 3 })
    for (const [i, m] of stream.entries()) {
      const table = (JSON.parse(m.value) as { table: string }).table
      outcomes[check(Buffer.from(m.value), route(db, table)!, targets.get(table)!, String(i))]++
    }
    // Only UPDATEs that move a Primary Key row are left to the row builder.
    assert.equal(outcomes['declined-scan'], 0)
    assert.ok(outcomes['declined-rows'] < stream.length * 0.1, JSON.stringify(outcomes))
  })

  test('the benchmark stream goes through the fast path, every message, with identical rows', () => {
    const env = mappingEnvSchema.parse(benchMappingEnv(sourceDatabase, 'bench'))
    const route = createTableRouter(env)
    const target = (table: string): TargetTable => ({
      database: 'bench', table, model: 'PRIMARY', keyColumns: ['id'],
      columns: benchColumns.map(([name]) => ({ name, dataType: 'varchar', nullable: name !== 'id', isKey: name === 'id' })),
    })
    const stream = canalStream({ rows: 20_000, partitions: 4, tables: 20 })
    for (const [i, m] of stream.messages.entries()) {
      const value = Buffer.from(m.value as string)
      const table = (JSON.parse(m.value as string) as { table: string }).table
      assert.equal(check(value, route(sourceDatabase, table)!, target(table), String(i)), 'fast', `message ${i}`)
    }
  })

  test('keys that shift from row to row and message to message, through one projection per job', async () => {
    const rnd = prng(20261126)
    const outcomes: Record<Outcome, number> = { 'declined-scan': 0, 'declined-rows': 0, fast: 0 }
    for (let round = 0; round < 40; round++) {
      // String targets only: what this test follows is the memory of keys, not value conversions.
      const { route, target } = randomSetup(rnd, false)
      const shifting = shiftingKeys(rnd)
      const messages = Array.from({ length: 150 }, (_, i) => ({ offset: String(i), value: shifting() }))
      for (const m of messages) outcomes[check(m.value, route, target, m.offset)]++
      const routeOf = () => route
      const schemaOf = () => target
      const failed = (err: Error) => `throws ${err.message}`
      assert.deepEqual(await runLoadBatch(messages, routeOf, schemaOf).catch(failed), await referenceBatch(messages, routeOf, schemaOf).catch(failed), `round ${round}`)
    }
    assert.ok(outcomes.fast > outcomes['declined-rows'] && outcomes['declined-rows'] > 0, JSON.stringify(outcomes))
  })

  test('loadBatch over a mixed batch counts, skips, quarantines and loads as the slow path alone does', async () => {
    const rnd = prng(4242)
    for (let round = 0; round < 40; round++) {
      const { route, target } = randomSetup(rnd)
      const fault = generateStream({ seed: round, db: 'shop', rows: 60, partitions: 1 }).map((m) => Buffer.from(m.value))
      const values = [...fault, ...Array.from({ length: 80 }, () => randomMessage(rnd))].sort(() => rnd() - 0.5)
      const messages = values.map((value, i) => ({ offset: String(i), value: rnd() < 0.02 ? null : value }))
      // `items` has no target table; `unmapped_t` and `other` match no rule.
      const routeOf = (db: string, table: string) => (db === 'other' || table === 'unmapped_t' || !/^(orders|items|events|audit)$/.test(table) ? null : { ...route, table })
      const schemaOf = (table: string) => (table === 'items' ? null : { ...target, table })
      // A binlogTime of an `es` out of Date's range throws either way: the job retries.
      const failed = (err: Error) => `throws ${err.message}`
      const fast = await runLoadBatch(messages, routeOf, schemaOf).catch(failed)
      const slow = await referenceBatch(messages, routeOf, schemaOf).catch(failed)
      assert.deepEqual(fast, slow, `round ${round}`)
    }
  })
})

type Outcomes = { counters: Record<string, number>; bySource: Record<string, number>; bodies: Record<string, [string, unknown][][]>; quarantined: string[] }
type Messages = { offset: string; value: Buffer | null }[]
type Router = (db: string, table: string) => RouteTarget | null
type Schemas = (table: string) => TargetTable | null

const keep = (counters: Record<string, number>) => Object.fromEntries(Object.entries(counters).filter(([k, v]) => v !== 0 && !['batches', 'loadedRows', 'quarantinedRows', 'schemaDriftRows'].includes(k)))

async function runLoadBatch(messages: Messages, route: Router, schemaOf: Schemas): Promise<Outcomes> {
  const out: Outcomes = { counters: {}, bySource: {}, bodies: {}, quarantined: [] }
  const ctx = {
    config: { labelPrefix: 'k2s', format: 'canal', timeZone: 'UTC' } as InstanceConfig,
    route,
    schemas: { table: async (_db: string, table: string) => schemaOf(table), refresh: async (_db: string, table: string) => schemaOf(table), invalidate() {}, async close() {} },
    client: {
      async load(req: { table: string; body: Buffer }) {
        const rows = JSON.parse(req.body.toString('utf8')) as object[]
        for (const row of req.body.toString('utf8').slice(1, -1).split(/(?<=}),(?={)/)) assert.deepEqual(rawKeys(row), Object.keys(JSON.parse(row) as object))
        out.bodies[req.table] = rows.map((r) => Object.entries(r))
        return { status: 'Success', txnId: 1, loadedRows: rows.length, loadBytes: req.body.length, loadTimeMs: 0 }
      },
      async close() {},
    },
    activity: {
      async quarantine(items: { id: string; table: string; reason: string; rows: number }[]) {
        out.quarantined.push(...items.map((q) => `${q.table || q.id} (${q.rows}): ${q.reason}`))
      },
      async count(_instance: string, counters: Record<string, number>, bySource: Record<string, number>) {
        out.counters = keep(counters)
        out.bySource = bySource
      },
    },
    tableConcurrency: 1,
  } as unknown as LoadContext
  await loadBatch({ instance: 'i', epoch: 1, topic: 't', partition: 0, firstOffset: '0', lastOffset: String(messages.length - 1), messageCount: messages.length, messages }, ctx)
  return out
}

/** loadBatch's decoding and grouping as it was before the fast path, on decodeCanalMessage alone. */
async function referenceBatch(messages: Messages, route: Router, schemaOf: Schemas): Promise<Outcomes> {
  const out: Outcomes = { counters: {}, bySource: {}, bodies: {}, quarantined: [] }
  const bump = (into: Record<string, number>, name: string, n = 1) => (into[name] = (into[name] ?? 0) + n)
  const targets = new Map<string, { rows: ReturnType<typeof tableRowsBuilder> | null; sourceRows: number }>()
  for (const m of messages) {
    const event = decodeCanalMessage(m.value)
    if (event.kind === 'unreadable') {
      out.quarantined.push(`message-t-0-${m.offset} (0): ${event.reason}`)
      bump(out.counters, 'quarantinedMessages')
      continue
    }
    if (event.kind === 'skip') {
      bump(out.counters, `skipped.${event.reason}`)
      if (event.table !== '') bump(out.bySource, `${event.database}.${event.table}:${event.reason}`)
      continue
    }
    const r = route(event.database, event.table)
    if (!r) {
      bump(out.counters, 'skipped.unmapped', event.data.length)
      bump(out.bySource, `${event.database}.${event.table}:unmapped`, event.data.length)
      continue
    }
    let target = targets.get(r.table)
    const schema = schemaOf(r.table)
    if (!target) targets.set(r.table, (target = { rows: schema && tableRowsBuilder(schema), sourceRows: 0 }))
    target.sourceRows += event.data.length
    target.rows?.add({ partition: 0, offset: m.offset, event, route: r })
  }
  for (const [table, { rows, sourceRows }] of targets) {
    if (!rows) {
      out.quarantined.push(`dw.${table} (${sourceRows}): target table dw.${table} does not exist`)
      continue
    }
    bump(out.counters, 'ignoredDeletes', rows.result.ignoredDeletes)
    bump(out.counters, 'zeroDates', rows.result.zeroDates)
    for (const refused of rows.result.refused) out.quarantined.push(`dw.${table} (1): ${refused.reason}`)
    if (rows.result.body.count > 0) out.bodies[table] = (JSON.parse(rows.result.body.bytes().toString('utf8')) as object[]).map((r) => Object.entries(r))
  }
  out.counters = keep(out.counters)
  return out
}
