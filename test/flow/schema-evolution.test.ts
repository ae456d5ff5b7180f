import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { MappingRuleInput } from '../../src/instances/config.ts'
import { schemaHolds, type SchemaHolds } from '../../src/instances/schema-holds.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal, canalDdl } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Issue #15 part 1 end to end: a source schema change never drops a value silently. canal DDL
 * messages and rows in a real Kafka, K2S loading into the emulator, whose ALTER jobs take their time
 * (asynchronous, as StarRocks' do), under each rule policy: ignore, apply, pause.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest
let holds: SchemaHolds

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('schema-evolution', { alterDelayMs: 300 }))
  holds = schemaHolds(k2s.redis, redisKeys(k2s.prefix))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

const byId = (rows: Record<string, string | null>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id))

/** An instance of its own topic and environment; resolves once every offset produced so far is committed. */
async function run(name: string, rules: MappingRuleInput[], messages: { partition?: number; value: string }[], partitions = 1, format: 'canal' | 'debezium' | 'maxwell' = 'canal'): Promise<void> {
  await createTopic(kafka, name, partitions)
  await k2s.store.saveMappingEnv(mappingEnv(name, rules))
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [name], mappingEnv: name, format }))
  await produce(kafka, name, messages.map((m) => ({ partition: m.partition ?? 0, value: m.value })))
  await k2s.store.startInstance(name)
}

async function allCommitted(name: string): Promise<void> {
  const ends = await endOffsets(kafka, name)
  await eventually(`every offset of ${name} committed`, async () => {
    const committed = await committedOffsets(kafka, `k2s-${name}`, name)
    return [...ends].every(([p, end]) => committed.get(p) === end)
  }, 30_000)
}

const alterJobs = async (db: string, table: string) => {
  const jobs = await emulator.query(`SHOW ALTER TABLE COLUMN FROM ${db} WHERE TableName = '${table}'`)
  return jobs.length
}

describe('ignore: the target as it is, drift counted', () => {
  test('a target never altered: rows load with the columns it has; the others are counted per table, with their names', async () => {
    await emulator.execute('CREATE TABLE dw.ig (id BIGINT NOT NULL, name VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('ig', [{ sourceDatabase: 'src', sourceTable: 'ig', targetDatabase: 'dw' }], [
      { value: canal('INSERT', 'src', 'ig', [{ id: '1', name: 'a' }]) },
      { value: canalDdl('src', 'ig', 'ALTER TABLE ig ADD COLUMN coupon varchar(16)') },
      { value: canal('INSERT', 'src', 'ig', [{ id: '2', name: 'b', coupon: 'X1' }, { id: '3', name: 'c', coupon: null }]) },
    ])
    await allCommitted('ig')
    assert.deepEqual(byId(emulator.rows('dw', 'ig')), [{ id: '1', name: 'a' }, { id: '2', name: 'b' }, { id: '3', name: 'c' }])
    assert.deepEqual(await holds.drift('ig'), { 'dw.ig': { rows: 2, columns: ['coupon'] } })
    const counters = await k2s.activity.counters('ig')
    assert.equal(counters.schemaDriftRows, 2)
    assert.equal(counters['skipped.ddl'], 1)
    assert.equal(counters.loadedRows, 3)
  })

  test('the target altered by hand while K2S runs: rows carrying the new column load it at once, not NULL for a minute', async () => {
    await emulator.execute('CREATE TABLE dw.live (id BIGINT NOT NULL, name VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('live', [{ sourceDatabase: 'src', sourceTable: 'live', targetDatabase: 'dw' }], [{ value: canal('INSERT', 'src', 'live', [{ id: '1', name: 'a' }]) }])
    await allCommitted('live')
    // The loader has the schema cached now; the operator adds the column the source just got.
    await emulator.execute('ALTER TABLE dw.live ADD COLUMN coupon VARCHAR(16)')
    await eventually('the ALTER job finished', async () => (await emulator.query("SHOW ALTER TABLE COLUMN FROM dw WHERE TableName = 'live'"))[0]?.State === 'FINISHED')
    await produce(kafka, 'live', [
      { partition: 0, value: canalDdl('src', 'live', 'ALTER TABLE live ADD COLUMN coupon varchar(16)') },
      { partition: 0, value: canal('INSERT', 'src', 'live', [{ id: '2', name: 'b', coupon: 'X2' }]) },
    ])
    await allCommitted('live')
    assert.deepEqual(byId(emulator.rows('dw', 'live')), [{ id: '1', name: 'a', coupon: null }, { id: '2', name: 'b', coupon: 'X2' }])
    assert.deepEqual(await holds.drift('live'), {})
  })
})

describe('apply: canal DDL carried to StarRocks, rows after it loaded against the new schema', () => {
  test('ADD COLUMN, then rows with it in the same batch: the ALTER job is waited for, no value is NULL', async () => {
    await emulator.execute('CREATE TABLE dw.ap (id BIGINT NOT NULL, name VARCHAR(32), qty SMALLINT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('ap', [{ sourceDatabase: 'src', sourceTable: 'ap', targetDatabase: 'dw', schemaChange: 'apply' }], [
      { value: canal('INSERT', 'src', 'ap', [{ id: '1', name: 'a', qty: '1' }]) },
      { value: canalDdl('src', 'ap', "ALTER TABLE `ap` ADD COLUMN `coupon` varchar(16) NOT NULL DEFAULT 'none', MODIFY COLUMN qty int") },
      { value: canal('INSERT', 'src', 'ap', [{ id: '2', name: 'b', qty: '100000', coupon: 'X2' }]) },
      { value: canalDdl('src', 'ap', 'ALTER TABLE ap CHANGE name title varchar(64)') },
      { value: canal('UPDATE', 'src', 'ap', [{ id: '1', title: 'A', qty: '1', coupon: 'none' }], { old: [{ title: 'a' }] }) },
      { value: canalDdl('src', 'ap', 'ALTER TABLE ap DROP COLUMN qty') },
      { value: canal('INSERT', 'src', 'ap', [{ id: '3', title: 'c', coupon: 'X3' }]) },
    ])
    await allCommitted('ap')
    assert.deepEqual(byId(emulator.rows('dw', 'ap')), [
      { id: '1', title: 'A', coupon: 'none' },
      { id: '2', title: 'b', coupon: 'X2' },
      { id: '3', title: 'c', coupon: 'X3' },
    ])
    const types = await emulator.query("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'dw' AND TABLE_NAME = 'ap' ORDER BY ORDINAL_POSITION")
    assert.deepEqual(types.map((r) => r.COLUMN_NAME), ['id', 'title', 'coupon'])
    const counters = await k2s.activity.counters('ap')
    assert.equal(counters['ddl.applied'], 3)
    assert.equal(counters.schemaDriftRows, undefined)
    assert.deepEqual(await holds.held('ap'), [])
  })

  test('one ADD COLUMN on each of 64 shards alters the merged target once; TRUNCATE of a table of its own empties it', async () => {
    await emulator.execute('CREATE TABLE dw.order_all (id BIGINT NOT NULL, shard VARCHAR(32) NOT NULL, amount DECIMAL(12,2)) PRIMARY KEY(id, shard) DISTRIBUTED BY HASH(id)')
    await emulator.execute('CREATE TABLE dw.tr (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    const jobsBefore = await alterJobs('dw', 'order_all')
    const shards = Array.from({ length: 64 }, (_, i) => `order_${i}`)
    await run('shards', [
      { sourceDatabase: 'src', sourceTable: 'order_\\d+', targetDatabase: 'dw', targetTable: 'order_all', metadataColumns: { shard: 'sourceTable' }, schemaChange: 'apply' },
      { sourceDatabase: 'src', sourceTable: 'tr', targetDatabase: 'dw', schemaChange: 'apply' },
    ], [
      ...shards.map((t, i) => ({ value: canal('INSERT', 'src', t, [{ id: String(i), amount: '1.00' }]) })),
      ...shards.map((t) => ({ value: canalDdl('src', t, `ALTER TABLE ${t} ADD COLUMN coupon varchar(16)`) })),
      ...shards.map((t, i) => ({ value: canal('INSERT', 'src', t, [{ id: String(100 + i), amount: '2.00', coupon: `C${i}` }]) })),
      { value: canal('INSERT', 'src', 'tr', [{ id: '1' }]) },
      { value: canalDdl('src', 'tr', 'TRUNCATE TABLE tr', 'TRUNCATE') },
      { value: canal('INSERT', 'src', 'tr', [{ id: '2' }]) },
    ])
    await allCommitted('shards')
    assert.equal((await alterJobs('dw', 'order_all')) - jobsBefore, 1)
    const rows = emulator.rows('dw', 'order_all')
    assert.equal(rows.length, 128)
    assert.deepEqual(rows.find((r) => r.id === '107'), { id: '107', shard: 'order_7', amount: '2.00', coupon: 'C7' })
    assert.deepEqual(rows.find((r) => r.id === '7'), { id: '7', shard: 'order_7', amount: '1.00', coupon: null })
    assert.deepEqual(emulator.rows('dw', 'tr'), [{ id: '2' }])
    const counters = await k2s.activity.counters('shards')
    assert.equal(counters['ddl.applied'], 2)
    assert.equal(counters['skipped.ddl'], 63)
  })

  test('canal sends the DDL to partition 0 only: rows with the new column in partition 1 wait (held for drift) until the target has it, then load whole', async () => {
    await emulator.execute('CREATE TABLE dw.p2 (id BIGINT NOT NULL, name VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('p2', [{ sourceDatabase: 'src', sourceTable: 'p2', targetDatabase: 'dw', schemaChange: 'apply' }], [
      { partition: 1, value: canal('INSERT', 'src', 'p2', [{ id: '11', name: 'k', coupon: 'X11' }]) },
      { partition: 0, value: canal('INSERT', 'src', 'p2', [{ id: '1', name: 'a' }]) },
      { partition: 0, value: canalDdl('src', 'p2', 'ALTER TABLE p2 ADD COLUMN coupon varchar(16)') },
      { partition: 0, value: canal('INSERT', 'src', 'p2', [{ id: '2', name: 'b', coupon: 'X2' }]) },
    ], 2)
    await allCommitted('p2')
    assert.deepEqual(byId(emulator.rows('dw', 'p2')), [
      { id: '1', name: 'a', coupon: null },
      { id: '2', name: 'b', coupon: 'X2' },
      { id: '11', name: 'k', coupon: 'X11' },
    ])
    assert.deepEqual(await holds.held('p2'), [])
    assert.equal((await k2s.activity.counters('p2')).schemaDriftRows, undefined)
  })

  test('auto-create: a source CREATE TABLE makes a Primary Key target, and its rows load', async () => {
    await run('ac', [{ sourceDatabase: 'src', sourceTable: 'fresh', targetDatabase: 'dw', schemaChange: 'apply', autoCreate: true }], [
      { value: canalDdl('src', 'fresh', 'CREATE TABLE fresh (id bigint unsigned NOT NULL AUTO_INCREMENT, v varchar(8), PRIMARY KEY (id))', 'CREATE') },
      { value: canal('INSERT', 'src', 'fresh', [{ id: '18446744073709551615', v: 'max' }, { id: '2', v: 'two' }]) },
      { value: canal('DELETE', 'src', 'fresh', [{ id: '2', v: 'two' }]) },
    ])
    await allCommitted('ac')
    assert.deepEqual(emulator.rows('dw', 'fresh'), [{ id: '18446744073709551615', v: 'max' }])
  })

  test('a narrowing holds the table with the reason; other tables flow on; a resume lets the rows load against the target as it is', async () => {
    await emulator.execute('CREATE TABLE dw.nar (id BIGINT NOT NULL, qty BIGINT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await emulator.execute('CREATE TABLE dw.other (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('nar', [
      { sourceDatabase: 'src', sourceTable: 'nar', targetDatabase: 'dw', schemaChange: 'apply' },
      { sourceDatabase: 'src', sourceTable: 'other', targetDatabase: 'dw' },
    ], [
      { partition: 0, value: canal('INSERT', 'src', 'nar', [{ id: '1', qty: '5' }]) },
      { partition: 0, value: canalDdl('src', 'nar', 'ALTER TABLE nar MODIFY qty smallint') },
      { partition: 0, value: canal('INSERT', 'src', 'nar', [{ id: '2', qty: '6' }]) },
      { partition: 1, value: canal('INSERT', 'src', 'other', [{ id: '1' }]) },
    ], 2)
    await eventually('dw.nar held', async () => (await holds.held('nar')).length === 1)
    const [hold] = await holds.held('nar')
    assert.deepEqual([hold!.table, hold!.kind, hold!.code, hold!.message, hold!.offset], [
      'dw.nar', 'ddl', 'schema.narrowing', 'changing qty of dw.nar from BIGINT to SMALLINT is not a widening; K2S does not narrow or convert a column', '1',
    ])
    // The rows before the DDL loaded; the row after it waits, and so does the partition's offset.
    await eventually('dw.other loaded', () => emulator.rows('dw', 'other').length === 1)
    assert.deepEqual(emulator.rows('dw', 'nar'), [{ id: '1', qty: '5' }])
    const committed = await committedOffsets(kafka, 'k2s-nar', 'nar')
    assert.equal(committed.get(0) ?? null, null)
    await eventually('the reason shown as the instance health', async () => (await k2s.activity.health('nar')).reason.includes('dw.nar: changing qty'))

    await holds.resume('nar', 'dw.nar')
    await allCommitted('nar')
    assert.deepEqual(byId(emulator.rows('dw', 'nar')), [{ id: '1', qty: '5' }, { id: '2', qty: '6' }])
    assert.equal((await k2s.activity.counters('nar'))['ddl.resumed'], 1)
  })
})

describe('pause: the table waits for an operator', () => {
  test('a DDL holds the table; the operator alters the target, resumes, and the rows after it load with every value', async () => {
    await emulator.execute('CREATE TABLE dw.pa (id BIGINT NOT NULL, name VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    await run('pa', [{ sourceDatabase: 'src', sourceTable: 'pa', targetDatabase: 'dw', schemaChange: 'pause' }], [
      { value: canal('INSERT', 'src', 'pa', [{ id: '1', name: 'a' }]) },
      { value: canalDdl('src', 'pa', 'ALTER TABLE pa ADD COLUMN coupon varchar(16)') },
      { value: canal('INSERT', 'src', 'pa', [{ id: '2', name: 'b', coupon: 'X2' }]) },
    ])
    await eventually('dw.pa held', async () => (await holds.held('pa')).length === 1)
    assert.equal((await holds.held('pa'))[0]!.code, 'schema.ddl-paused')
    assert.equal(await alterJobs('dw', 'pa'), 0, 'K2S altered nothing')
    assert.deepEqual(emulator.rows('dw', 'pa'), [{ id: '1', name: 'a' }])

    // A resume before the target has the column: the rows after the DDL carry it, so the table is held again, for drift.
    await holds.resume('pa', 'dw.pa')
    await eventually('dw.pa held for drift', async () => (await holds.held('pa'))[0]?.code === 'schema.drift-held')
    assert.deepEqual((await holds.held('pa'))[0]!.params, { table: 'dw.pa', columns: 'coupon', rows: '1' })
    assert.deepEqual(emulator.rows('dw', 'pa'), [{ id: '1', name: 'a' }])

    await emulator.execute('ALTER TABLE dw.pa ADD COLUMN coupon VARCHAR(16)')
    await eventually('the ALTER job finished', async () => (await emulator.query("SHOW ALTER TABLE COLUMN FROM dw WHERE TableName = 'pa'"))[0]?.State === 'FINISHED')
    await holds.resume('pa', 'dw.pa')
    await allCommitted('pa')
    assert.deepEqual(byId(emulator.rows('dw', 'pa')), [{ id: '1', name: 'a', coupon: null }, { id: '2', name: 'b', coupon: 'X2' }])
    assert.deepEqual(await holds.held('pa'), [])
  })
})

describe('Maxwell and Debezium DDL that travel with their rows are barriers too', () => {
  const json = (v: unknown) => JSON.stringify(v)
  test("Maxwell's table-alter (same partition as its rows, Maxwell's default) is carried out under apply before the rows after it", async () => {
    await emulator.execute('CREATE TABLE dw.mx (id BIGINT NOT NULL, name VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    const row = (ts: number, data: Record<string, unknown>) => json({ database: 'src', table: 'mx', type: 'insert', ts, data, primary_key_columns: ['id'] })
    await run('mx', [{ sourceDatabase: 'src', sourceTable: 'mx', targetDatabase: 'dw', schemaChange: 'apply' }], [
      { value: row(1, { id: 1, name: 'a' }) },
      { value: json({ type: 'table-alter', database: 'src', table: 'mx', sql: 'ALTER TABLE mx ADD COLUMN coupon varchar(16)', ts: 2 }) },
      { value: row(3, { id: 2, name: 'b', coupon: 'X2' }) },
    ], 1, 'maxwell')
    await allCommitted('mx')
    assert.deepEqual(byId(emulator.rows('dw', 'mx')), [{ id: '1', name: 'a', coupon: null }, { id: '2', name: 'b', coupon: 'X2' }])
    const counters = await k2s.activity.counters('mx')
    assert.equal(counters['ddl.applied'], 1)
    assert.equal(counters.schemaDriftRows, undefined)
  })

  test("Debezium's truncate (op t, in the table's own topic) empties the target under apply, and the rows after it load", async () => {
    await emulator.execute('CREATE TABLE dw.dt (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
    const change = (op: string, ts: number, after: Record<string, unknown> | null) => json({ before: null, after, source: { db: 'src', table: 'dt', ts_ms: ts }, op, ts_ms: ts })
    await run('dt', [{ sourceDatabase: 'src', sourceTable: 'dt', targetDatabase: 'dw', schemaChange: 'apply' }], [
      { value: change('c', 1, { id: 1 }) },
      { value: change('t', 2, null) },
      { value: change('c', 3, { id: 2 }) },
    ], 1, 'debezium')
    await allCommitted('dt')
    assert.deepEqual(emulator.rows('dw', 'dt'), [{ id: '2' }])
    assert.equal((await k2s.activity.counters('dt'))['ddl.applied'], 1)
  })
})
