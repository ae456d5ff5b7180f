import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal, type Row } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Every MySQL type arrives as MySQL had it (issue #15 part 2; docs/types.md): canal's rendering of
 * each type (cdc-formats.md §A.4), through real Kafka and K2S, into a StarRocks column of the
 * matching type in strict mode, and what StarRocks then holds (the emulator's rows: VARBINARY as
 * the hex of its bytes).
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('types'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

// column: [MySQL type as canal reports it, StarRocks column]
const columns: Record<string, [string, string]> = {
  id: ['bigint(20)', 'BIGINT NOT NULL'],
  j: ['json', 'JSON'],
  j_text: ['json', 'STRING'],
  b: ['varbinary(16)', 'VARBINARY(16)'],
  b_text: ['blob', 'STRING'],
  geo: ['geometry', 'VARBINARY'],
  e: ["enum('small','medium','large')", 'VARCHAR(16)'],
  e_idx: ["enum('small','medium','large')", 'INT'],
  s: ["set('a','b','c')", 'VARCHAR(32)'],
  bit1: ['bit(1)', 'BOOLEAN'],
  bit8: ['bit(8)', 'INT'],
  yr: ['year(4)', 'SMALLINT'],
  t: ['time', 'VARCHAR(16)'],
  d: ['date', 'DATE'],
  dt: ['datetime', 'DATETIME'],
  ts: ['timestamp', 'DATETIME'],
  dt6: ['datetime(6)', 'DATETIME'],
  f: ['float', 'FLOAT'],
  dbl: ['double', 'DOUBLE'],
  amount: ['decimal(65,30)', 'DECIMAL(38,30)'],
  amount_text: ['decimal(65,30)', 'STRING'],
  ubig: ['bigint(20) unsigned', 'LARGEINT'],
  ubig_big: ['bigint(20) unsigned', 'BIGINT'],
  flag: ['tinyint(1)', 'BOOLEAN'],
  emoji: ['varchar(16)', 'VARCHAR(16)'],
  empty: ['varchar(8)', 'VARCHAR(8)'],
  nul: ['varchar(8)', 'VARCHAR(8)'],
}
const mysqlType = Object.fromEntries(Object.entries(columns).map(([name, [type]]) => [name, type]))
const latin1 = (hex: string) => Buffer.from(hex, 'hex').toString('latin1')

function row(values: Row): Row {
  return Object.fromEntries(Object.keys(columns).map((name) => [name, values[name] ?? null]))
}

describe('every MySQL type into a matching StarRocks column, strict mode', () => {
  test('values as MySQL had them; what StarRocks cannot hold is quarantined per row with its column', async () => {
    await emulator.execute(`CREATE TABLE dw.alltypes (${Object.entries(columns).map(([n, [, t]]) => `${n} ${t}`).join(', ')}) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    const rows: Row[] = [
      row({
        id: '1',
        // canal sends MySQL's rendering of the document; a big integer keeps its digits.
        j: '{"a": 1, "b": [true, null], "big": 12345678901234567890}',
        j_text: '{"a": 1}',
        // One character per byte (ISO-8859-1): F0 00 FF 41.
        b: latin1('f000ff41'),
        b_text: latin1('f000ff41'),
        // SRID 0 + WKB of POINT(1 2), as MySQL stores a geometry.
        geo: latin1('000000000101000000000000000000f03f0000000000000040'),
        e: '2',
        e_idx: '2',
        s: '5',
        bit1: '1',
        bit8: '65',
        yr: '2023',
        t: '100:00:00',
        d: '2024-02-29',
        dt: '2024-02-29 23:59:59',
        ts: '2023-03-23 15:00:10',
        dt6: '2023-03-23 14:30:05.123456',
        f: '1.2345678E7',
        dbl: '1.0E-4',
        amount: '12345678.123456789012345678901234567890',
        amount_text: '12345678901234567890123456789012345.123456789012345678901234567890',
        ubig: '18446744073709551615',
        ubig_big: '1',
        flag: '1',
        emoji: '😀 ok',
        empty: '',
      }),
      row({ id: '2', d: '0000-00-00', dt: '0000-00-00 00:00:00', t: '-838:59:59', e: '0', s: '0' }),
      row({ id: '3', d: '2023-02-30' }),
      row({ id: '4', ubig_big: '18446744073709551615' }),
      row({ id: '5', e: '9' }),
      row({ id: '6', j: "JSON_REPLACE(`j`, '$.a', 2)" }),
    ]
    const topic = 'types-all'
    await createTopic(kafka, topic, 1)
    const produced = await produce(kafka, topic, rows.map((r) => ({ partition: 0, value: canal('INSERT', 'app', 'alltypes', [r], { mysqlType }) })))
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'alltypes', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app' }))
    await k2s.store.startInstance('alltypes')
    const end = (await endOffsets(kafka, topic)).get(0)
    await eventually('every offset committed', async () => (await committedOffsets(kafka, 'k2s-alltypes', topic)).get(0) === end)

    const nulls = Object.fromEntries(Object.keys(columns).map((n) => [n, null]))
    assert.deepEqual(emulator.rows('dw', 'alltypes'), [
      {
        id: '1',
        j: '{"a": 1, "b": [true, null], "big": 12345678901234567890}',
        j_text: '{"a": 1}',
        b: 'F000FF41',
        b_text: 'F000FF41',
        geo: '000000000101000000000000000000F03F0000000000000040',
        e: 'medium',
        e_idx: '2',
        s: 'a,c',
        bit1: '1',
        bit8: '65',
        yr: '2023',
        t: '100:00:00',
        d: '2024-02-29',
        dt: '2024-02-29 23:59:59',
        ts: '2023-03-23 15:00:10',
        dt6: '2023-03-23 14:30:05.123456',
        f: '12345678',
        dbl: '0.0001',
        amount: '12345678.123456789012345678901234567890',
        amount_text: '12345678901234567890123456789012345.123456789012345678901234567890',
        ubig: '18446744073709551615',
        ubig_big: '1',
        flag: '1',
        emoji: '😀 ok',
        empty: '',
        nul: null,
      },
      // Zero dates are NULL; ENUM's invalid member 0 is '', an empty SET is ''.
      { ...nulls, id: '2', t: '-838:59:59', e: '', s: '' },
    ])

    const items = await k2s.activity.quarantined('alltypes')
    const byOffset = Object.fromEntries(items.map((i) => [i.firstOffset, i]))
    const at = (i: number) => byOffset[String(produced[i]!.offset)]!
    assert.equal(items.length, 4)
    assert.deepEqual([at(2).column, at(2).reason], ['d', "Value '2023-02-30' is out of range. The type of 'd' is DATE"])
    assert.deepEqual([at(3).column, at(3).reason], ['ubig_big', 'Value is overflow. column=ubig_big, value=18446744073709551615'])
    assert.deepEqual([at(4).column, at(4).reason], ['e', 'ENUM index 9 is past the 3 members of the column'])
    assert.equal(at(4).payloadKind, 'source-row')
    assert.deepEqual([at(4).code, at(4).params], ['quarantine.enumIndex', { index: '9', members: 3, column: 'e' }])
    assert.equal((JSON.parse(at(4).payload) as Row).e, '9')
    assert.deepEqual([at(5).column, at(5).reason], ['j', "the MySQL json value is not a JSON document: JSON_REPLACE(`j`, '$.a', 2)"])

    const counters = await k2s.activity.counters('alltypes')
    assert.equal(counters.loadedRows, 2)
    assert.equal(counters.quarantinedRows, 4)
    assert.equal(counters.zeroDates, 2)
  })

  test('canal sends a document as text: into a JSON column it is the document, and a non-JSON source stays a string', async () => {
    await emulator.execute('CREATE TABLE dw.docs (id BIGINT NOT NULL, doc JSON, note JSON) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    const topic = 'types-docs'
    await createTopic(kafka, topic, 1)
    await produce(kafka, topic, [
      { partition: 0, value: canal('INSERT', 'app', 'docs', [{ id: '1', doc: '{"k": "v", "n": [1, 2.5]}', note: '{"x": 1}' }], { mysqlType: { id: 'bigint', doc: 'json', note: 'varchar(64)' } }) },
      { partition: 0, value: canal('INSERT', 'app', 'docs', [{ id: '2', doc: '"just a string"', note: 'plain' }], { mysqlType: { id: 'bigint', doc: 'json', note: 'varchar(64)' } }) },
    ])
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'docs', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app' }))
    await k2s.store.startInstance('docs')
    await eventually('both rows', () => emulator.rows('dw', 'docs').length === 2)
    assert.deepEqual(emulator.rows('dw', 'docs'), [
      { id: '1', doc: '{"k": "v", "n": [1, 2.5]}', note: '"{\\"x\\": 1}"' },
      { id: '2', doc: '"just a string"', note: '"plain"' },
    ])
  })

  test("a rule's constant columns fill every row and its needTypes skip the other events, counted per source table", async () => {
    await emulator.execute('CREATE TABLE dw.seeded (id BIGINT NOT NULL, v VARCHAR(8), tenant VARCHAR(8), src VARCHAR(16)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    await k2s.store.saveMappingEnv(mappingEnv('seed', [
      { sourceDatabase: 'app', sourceTable: 'seeded', targetDatabase: 'dw', constantColumns: { tenant: 'cn', SRC: 'mysql-01' }, needTypes: ['insert', 'update'] },
    ]))
    const topic = 'types-seeded'
    await createTopic(kafka, topic, 1)
    await produce(kafka, topic, [
      { partition: 0, value: canal('INSERT', 'app', 'seeded', [{ id: '1', v: 'a' }, { id: '2', v: 'b' }]) },
      { partition: 0, value: canal('DELETE', 'app', 'seeded', [{ id: '1', v: 'a' }]) },
      { partition: 0, value: canal('UPDATE', 'app', 'seeded', [{ id: '2', v: 'c' }], { old: [{ v: 'b' }] }) },
    ])
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'seeded', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'seed' }))
    await k2s.store.startInstance('seeded')
    const end = (await endOffsets(kafka, topic)).get(0)
    await eventually('every offset committed', async () => (await committedOffsets(kafka, 'k2s-seeded', topic)).get(0) === end)
    // The DELETE is not synced: row 1 stays.
    assert.deepEqual(emulator.rows('dw', 'seeded'), [
      { id: '1', v: 'a', tenant: 'cn', src: 'mysql-01' },
      { id: '2', v: 'c', tenant: 'cn', src: 'mysql-01' },
    ])
    const counters = await k2s.activity.counters('seeded')
    assert.equal(counters['skipped.needType'], 1)
    assert.equal(counters.loadedRows, 3)
    assert.deepEqual(await k2s.activity.skippedBySource('seeded'), { 'app.seeded:needType': 1 })
  })
})
