import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal, canalDdl } from '../harness/canal-fixtures.ts'
import { debezium, debeziumFlat, debeziumHeartbeat, debeziumKey, debeziumSchemaChange, debeziumTransaction, maxwell, maxwellDdl, maxwellKey, type MysqlRow } from '../harness/cdc-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce, type TestMessage } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'
import { changeStream, expectedTables, itemColumns, logColumns, setBitmask, timestampText, type Change, type Format } from './format-oracle.ts'

/**
 * One seeded stream of MySQL changes, sent as canal, Debezium (the envelope with its schema, and
 * ExtractNewRecordState's flattened rows) and Maxwell into a real Kafka, each read by an instance
 * of that format into its own database: every final table must equal the oracle's replay
 * (format-oracle.ts, written apart from src/), every offset must be committed, and what carries no
 * rows (tombstones, heartbeats, transaction metadata, bootstrap markers, DDL) must be counted.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

const seed = Number(process.env.K2S_FORMATS_SEED ?? 19)
const changes = changeStream(seed, 240)

type Stream = Record<string, TestMessage[]>

const itemsPartition = (id: string) => Number(BigInt(id) % 2n)
const columnsOf = (c: Change) => (c.table === 'items' ? itemColumns : logColumns)

function canalStream(): Stream {
  const text = (row: MysqlRow, table: string): MysqlRow => (table === 'items' ? { ...row, changed: timestampText(row.changed!, 'Asia/Shanghai'), tags: setBitmask(row.tags!) } : row)
  const messages: TestMessage[] = []
  // canal routes by table: each table keeps binlog order in one partition.
  const send = (c: Change, value: string) => messages.push({ partition: c.table === 'items' ? 0 : 1, value })
  changes.forEach((c, i) => {
    if (c.kind === 'insert') send(c, canal('INSERT', 'shop', c.table, [text(c.row, c.table)], { es: c.tsMs }))
    else if (c.kind === 'delete') send(c, canal('DELETE', 'shop', c.table, [text(c.before, c.table)], { es: c.tsMs }))
    else {
      const before = text(c.before, c.table)
      const after = text(c.row, c.table)
      const old = Object.fromEntries(Object.entries(before).filter(([k, v]) => after[k] !== v))
      send(c, canal('UPDATE', 'shop', c.table, [after], { old: [old], es: c.tsMs }))
    }
    if (i === 100) send(c, canalDdl('shop', c.table, 'ALTER TABLE items ADD COLUMN x INT'))
  })
  return { 'canal-shop': messages }
}

function debeziumStream(): Stream {
  const topics: Stream = { 'srv.shop.items': [], 'srv.shop.log': [], 'srv.transaction': [], '__debezium-heartbeat.srv': [], srv: [] }
  const schema = { schema: true }
  const to = (c: Change, id: string, value: string | null) => {
    const key = debeziumKey({ id }, columnsOf(c), schema)
    if (c.table === 'items') topics['srv.shop.items']!.push({ partition: itemsPartition(id), key, value })
    else topics['srv.shop.log']!.push({ partition: 0, key, value })
  }
  const envelope = (c: Change, op: 'c' | 'r' | 'u' | 'd', before: MysqlRow | null, after: MysqlRow | null) =>
    debezium({ op, db: 'shop', table: c.table, before, after, tsMs: c.tsMs }, columnsOf(c), schema)
  changes.forEach((c, i) => {
    if (i % 20 === 0) topics['srv.transaction']!.push({ partition: 0, value: debeziumTransaction('BEGIN', `txn-${i}`) })
    if (c.kind === 'insert') to(c, c.row.id!, envelope(c, c.snapshot ? 'r' : 'c', null, c.row))
    else if (c.kind === 'update' && c.before.id === c.row.id) to(c, c.row.id!, envelope(c, 'u', c.before, c.row))
    else {
      // A delete, or a key change: Debezium sends the old key's delete and its tombstone first.
      const before = c.kind === 'delete' ? c.before : c.before
      to(c, before.id!, envelope(c, 'd', before, null))
      to(c, before.id!, null)
      if (c.kind === 'update') to(c, c.row.id!, envelope(c, 'c', null, c.row))
    }
    if (i % 20 === 19) topics['srv.transaction']!.push({ partition: 0, value: debeziumTransaction('END', `txn-${i - 19}`) })
    if (i % 50 === 0) topics['__debezium-heartbeat.srv']!.push({ partition: 0, key: '{"serverName":"srv"}', value: debeziumHeartbeat() })
  })
  topics.srv!.push({ partition: 0, key: '{"databaseName":"shop"}', value: debeziumSchemaChange('shop', 'items', 'ALTER TABLE items ADD COLUMN x INT') })
  // skipped.operations=none: a TRUNCATE record, which the schema-change policy (skip and count today) takes.
  topics['srv.shop.log']!.push({ partition: 0, value: debezium({ op: 't', db: 'shop', table: 'log' }, logColumns, schema) })
  return topics
}

function debeziumFlatStream(): Stream {
  const messages: TestMessage[] = []
  const to = (c: Change, id: string, value: string) => messages.push({ partition: c.table === 'items' ? itemsPartition(id) : 2, key: debeziumKey({ id }, columnsOf(c), { schema: true }), value })
  // The value of a rewritten delete here lacks the key column: it comes from the message key.
  const deleted = (c: Change, before: MysqlRow) => debeziumFlat({ op: 'd', db: 'shop', table: c.table, before: c.table === 'items' ? Object.fromEntries(Object.entries(before).filter(([k]) => k !== 'id')) : before, tsMs: c.tsMs }, columnsOf(c), { schema: true })
  for (const c of changes) {
    if (c.kind === 'insert') to(c, c.row.id!, debeziumFlat({ op: c.snapshot ? 'r' : 'c', db: 'shop', table: c.table, after: c.row, tsMs: c.tsMs }, columnsOf(c), { schema: true }))
    else if (c.kind === 'update' && c.before.id === c.row.id) to(c, c.row.id!, debeziumFlat({ op: 'u', db: 'shop', table: c.table, after: c.row, tsMs: c.tsMs }, columnsOf(c), { schema: true }))
    else {
      to(c, c.before.id!, deleted(c, c.before))
      if (c.kind === 'update') to(c, c.row.id!, debeziumFlat({ op: 'c', db: 'shop', table: c.table, after: c.row, tsMs: c.tsMs }, columnsOf(c), { schema: true }))
    }
  }
  return { 'flat.shop': messages }
}

function maxwellStream(): Stream {
  const messages: TestMessage[] = []
  const ts = (c: Change) => c.tsMs / 1000
  const send = (c: Change, id: string, value: string) => messages.push({ partition: 0, key: maxwellKey('shop', c.table, { id }), value })
  const snapshot = changes.filter((c) => c.kind === 'insert' && c.snapshot)
  messages.push({ partition: 0, value: maxwell({ type: 'bootstrap-start', database: 'shop', table: 'items' }, itemColumns) })
  changes.forEach((c, i) => {
    if (c.kind === 'insert') send(c, c.row.id!, maxwell({ type: c.snapshot ? 'bootstrap-insert' : 'insert', database: 'shop', table: c.table, data: c.row, ts: ts(c), xid: i, commit: true }, columnsOf(c)))
    else if (c.kind === 'delete') send(c, c.before.id!, maxwell({ type: 'delete', database: 'shop', table: c.table, data: c.before, ts: ts(c), xid: i, commit: true }, columnsOf(c)))
    else {
      const old = Object.fromEntries(Object.entries(c.before).filter(([k, v]) => c.row[k] !== v))
      send(c, c.row.id!, maxwell({ type: 'update', database: 'shop', table: c.table, data: c.row, old, ts: ts(c), xid: i, commit: true }, columnsOf(c)))
    }
    if (c === snapshot.at(-1)) messages.push({ partition: 0, value: maxwell({ type: 'bootstrap-complete', database: 'shop', table: 'items' }, itemColumns) })
    if (i === 120) messages.push({ partition: 0, value: maxwellDdl('table-alter', 'shop', 'items', 'ALTER TABLE items ADD COLUMN x INT') })
  })
  return { maxwell: messages }
}

const instances: { name: string; format: Format; stream: () => Stream; partitions: Record<string, number> }[] = [
  { name: 'fmt-canal', format: 'canal', stream: canalStream, partitions: { 'canal-shop': 2 } },
  { name: 'fmt-debezium', format: 'debezium', stream: debeziumStream, partitions: { 'srv.shop.items': 2, 'srv.shop.log': 1, 'srv.transaction': 1, '__debezium-heartbeat.srv': 1, srv: 1 } },
  { name: 'fmt-flat', format: 'debezium', stream: debeziumFlatStream, partitions: { 'flat.shop': 3 } },
  { name: 'fmt-maxwell', format: 'maxwell', stream: maxwellStream, partitions: { maxwell: 1 } },
]

const database = (instance: string) => `dw_${instance.replace('fmt-', '')}`

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('formats'))
  for (const { name } of instances) {
    const db = database(name)
    await emulator.execute(`CREATE DATABASE ${db}`)
    await emulator.execute(`CREATE TABLE ${db}.items (
        id BIGINT NOT NULL, amount DECIMAL(20,2), born DATE, seen DATETIME, changed DATETIME, doc VARCHAR(256),
        tags VARCHAR(64), flags BIGINT, note VARCHAR(128), src VARCHAR(32), ev VARCHAR(16), bt DATETIME
      ) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    await emulator.execute(`CREATE TABLE ${db}.log (id BIGINT NOT NULL, msg VARCHAR(64), deleted TINYINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    await k2s.store.saveMappingEnv(
      mappingEnv(name, [
        { sourceDatabase: 'shop', sourceTable: 'items', targetDatabase: db, metadataColumns: { src: 'sourceTable', ev: 'eventType', bt: 'binlogTime' } },
        { sourceDatabase: 'shop', sourceTable: 'log', targetDatabase: db, deleteMode: 'soft', softDeleteColumn: 'deleted' },
      ]),
    )
  }
})

after(() => stopDataPath({ emulator, k2s }))

const sorted = (rows: MysqlRow[]) => rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort()

describe('canal, Debezium and Maxwell → StarRocks, the same guarantees', () => {
  test('each format loads the same changes into tables equal to the replay, every offset committed, every skipped record counted', async () => {
    for (const { name, format, stream, partitions } of instances) {
      const topics = stream()
      for (const [topic, messages] of Object.entries(topics)) {
        await createTopic(kafka, topic, partitions[topic]!)
        await produce(kafka, topic, messages)
      }
      await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: Object.keys(topics), mappingEnv: name, format, timeZone: 'Asia/Shanghai', commitBatch: 40 }))
      await k2s.store.startInstance(name)
    }
    await k2s.startNode()

    for (const { name, format, stream } of instances) {
      for (const topic of Object.keys(stream())) {
        const ends = await endOffsets(kafka, topic)
        await eventually(`${name}: every offset of ${topic} committed`, async () => {
          const committed = await committedOffsets(kafka, `k2s-${name}`, topic)
          return [...ends].every(([p, end]) => end === 0n || committed.get(p) === end)
        }, 60_000)
      }
      const expected = expectedTables(changes, format)
      const db = database(name)
      assert.deepEqual(sorted(emulator.rows(db, 'items')), sorted(expected.items), `${name}: items`)
      assert.deepEqual(sorted(emulator.rows(db, 'log')), sorted(expected.log), `${name}: log`)
      assert.deepEqual(await k2s.activity.quarantined(name), [], `${name}: nothing quarantined`)
    }

    const deletes = changes.filter((c) => c.kind === 'delete' || (c.kind === 'update' && c.before.id !== c.row.id)).length
    const counters = Object.fromEntries(await Promise.all(instances.map(async ({ name }) => [name, await k2s.activity.counters(name)] as const)))
    const skipped = (name: string) => Object.fromEntries(Object.entries(counters[name]!).filter(([k]) => k.startsWith('skipped.')))
    assert.deepEqual(skipped('fmt-canal'), { 'skipped.ddl': 1 })
    assert.deepEqual(skipped('fmt-debezium'), {
      'skipped.ddl': 2,
      'skipped.tombstone': deletes,
      'skipped.transaction': 2 * Math.ceil(changes.length / 20),
      'skipped.heartbeat': Math.ceil(changes.length / 50),
    })
    assert.deepEqual(skipped('fmt-flat'), {})
    assert.deepEqual(skipped('fmt-maxwell'), { 'skipped.ddl': 1, 'skipped.bootstrap': 2 })
    const loaded = (name: string) => counters[name]!.loadedRows
    // canal and Maxwell send a key change as one update (a delete and an upsert row); Debezium as two records.
    assert.equal(loaded('fmt-canal'), loaded('fmt-maxwell'))
    assert.equal(loaded('fmt-debezium'), loaded('fmt-flat'))
  })

  test('bad Debezium and Maxwell records are quarantined with their reason, and the rest flows on', async () => {
    const db = 'dw_poison'
    await emulator.execute(`CREATE DATABASE ${db}`)
    await emulator.execute(`CREATE TABLE ${db}.t (id BIGINT NOT NULL, amount DECIMAL(10,2) NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    const columns = { id: { kind: 'bigint' }, amount: { kind: 'decimal', scale: 2 } } as const
    const badDecimal = debezium({ op: 'c', db: 'shop', table: 't', after: { id: '2', amount: '1.00' }, tsMs: 1_700_000_000_000 }, columns, { schema: true }).replace('"amount":"ZA=="', '"amount":"%%%"')
    assert.ok(badDecimal.includes('%%%'))
    for (const [name, format, messages] of [
      ['poison-debezium', 'debezium', [
        { partition: 0, key: '{"id":1}', value: debezium({ op: 'c', db: 'shop', table: 't', after: { id: '1', amount: '1.50' } }, columns, { schema: true }) },
        { partition: 0, key: '{"id":2}', value: badDecimal },
        { partition: 0, value: '{"op":"c",' },
        { partition: 0, key: '{"id":4}', value: debezium({ op: 'c', db: 'shop', table: 't', after: { id: '4', amount: '4.00' } }, columns, { schema: true }) },
      ]],
      ['poison-maxwell', 'maxwell', [
        { partition: 0, value: maxwell({ type: 'insert', database: 'shop', table: 't', data: { id: '11', amount: '1.50' } }, columns) },
        { partition: 0, value: '{"database":"shop","table":"t","type":"insert","data":[1]}' },
        { partition: 0, value: maxwell({ type: 'insert', database: 'shop', table: 'nowhere', data: { id: '12' } }, columns) },
        { partition: 0, value: maxwell({ type: 'insert', database: 'shop', table: 't', data: { id: '14', amount: '4.00' } }, columns) },
      ]],
    ] as const) {
      await createTopic(kafka, name, 1)
      await produce(kafka, name, [...messages])
      await k2s.store.saveMappingEnv(mappingEnv(name, [{ sourceDatabase: 'shop', sourceTable: 't', targetDatabase: db }]))
      await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [name], mappingEnv: name, format }))
      await k2s.store.startInstance(name)
      const ends = await endOffsets(kafka, name)
      await eventually(`${name}: every offset committed`, async () => (await committedOffsets(kafka, `k2s-${name}`, name)).get(0) === ends.get(0), 30_000)
    }
    assert.deepEqual(sorted(emulator.rows(db, 't')), sorted([{ id: '1', amount: '1.50' }, { id: '4', amount: '4.00' }, { id: '11', amount: '1.50' }, { id: '14', amount: '4.00' }]))
    const reasons = async (name: string) => (await k2s.activity.quarantined(name)).map((q) => [q.firstOffset, q.reason.split('\n')[0]]).sort()
    const debeziumReasons = await reasons('poison-debezium')
    assert.deepEqual(debeziumReasons.slice(0, 2), [['1', 'column amount: not base64: "%%%"'], ['2', debeziumReasons[1]![1]]])
    assert.match(debeziumReasons[1]![1]!, /^invalid JSON/)
    assert.equal(debeziumReasons.length, 2)
    assert.deepEqual(await reasons('poison-maxwell'), [['1', '"data" must be an object (the row)']])
    assert.equal((await k2s.activity.counters('poison-maxwell'))['skipped.unmapped'], 1)
  })

  test("Maxwell's base64 blob is its bytes in VARBINARY and its text in a string column; a value that is not base64 is quarantined; Debezium's bytes are as before", async () => {
    const db = 'dw_blobs'
    await emulator.execute(`CREATE DATABASE ${db}`)
    await emulator.execute(`CREATE TABLE ${db}.blobs (id BIGINT NOT NULL, b VARBINARY(16), b_text STRING) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    const bytes = Buffer.from([0x00, 0x01, 0x02, 0xff]).toString('latin1')
    const blobs = { id: { kind: 'bigint' }, b: { kind: 'blob' }, b_text: { kind: 'blob' } } as const
    const good = maxwell({ type: 'insert', database: 'shop', table: 'blobs', data: { id: '1', b: bytes, b_text: bytes } }, blobs)
    assert.match(good, /"b":"AAEC\/w==","b_text":"AAEC\/w=="/)
    for (const [name, format, messages] of [
      ['blob-maxwell', 'maxwell', [
        { partition: 0, key: maxwellKey('shop', 'blobs', { id: '1' }), value: good },
        // A text column mapped to VARBINARY: never guessed at, the row is refused.
        { partition: 0, key: maxwellKey('shop', 'blobs', { id: '2' }), value: maxwell({ type: 'insert', database: 'shop', table: 'blobs', data: { id: '2', b: 'not base64', b_text: 'x' } }, { ...blobs, b: { kind: 'varchar' } }) },
        { partition: 0, key: maxwellKey('shop', 'blobs', { id: '3' }), value: maxwell({ type: 'insert', database: 'shop', table: 'blobs', data: { id: '3', b: null, b_text: null } }, blobs) },
      ]],
      ['blob-debezium', 'debezium', [
        { partition: 0, key: '{"id":11}', value: debezium({ op: 'c', db: 'shop', table: 'blobs', after: { id: '11', b: bytes, b_text: bytes } }, blobs, { schema: true }) },
      ]],
    ] as const) {
      await createTopic(kafka, name, 1)
      await produce(kafka, name, [...messages])
      await k2s.store.saveMappingEnv(mappingEnv(name, [{ sourceDatabase: 'shop', sourceTable: 'blobs', targetDatabase: db }]))
      await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [name], mappingEnv: name, format }))
      await k2s.store.startInstance(name)
      const ends = await endOffsets(kafka, name)
      await eventually(`${name}: every offset committed`, async () => (await committedOffsets(kafka, `k2s-${name}`, name)).get(0) === ends.get(0), 30_000)
    }
    // The emulator shows VARBINARY as the hex of its bytes. Debezium's typed bytes go into a string column as MySQL's HEX().
    assert.deepEqual(sorted(emulator.rows(db, 'blobs')), sorted([
      { id: '1', b: '000102FF', b_text: 'AAEC/w==' },
      { id: '3', b: null, b_text: null },
      { id: '11', b: '000102FF', b_text: '000102FF' },
    ]))
    const [refused, ...more] = await k2s.activity.quarantined('blob-maxwell')
    assert.deepEqual(more, [])
    assert.deepEqual([refused!.firstOffset, refused!.column, refused!.code, refused!.params], ['1', 'b', 'quarantine.notBase64', { value: 'not base64', column: 'b' }])
    assert.equal(refused!.reason, 'the Maxwell value is not base64 (how Maxwell sends binary values), so it cannot go into VARBINARY: not base64')
    assert.deepEqual(await k2s.activity.quarantined('blob-debezium'), [])
  })
})
