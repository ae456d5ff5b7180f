import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeDebeziumMessage } from '../../../src/formats/debezium/debezium-message.ts'
import type { ChangeEvent, RowEvent, SkippedEvent } from '../../../src/formats/row-event.ts'
import { debezium, debeziumFlat, debeziumHeartbeat, debeziumKey, debeziumSchemaChange, debeziumTransaction, type Columns } from '../../harness/cdc-fixtures.ts'

const columns: Columns = {
  id: { kind: 'bigint' },
  u64: { kind: 'bigint-unsigned' },
  amount: { kind: 'decimal', scale: 2 },
  born: { kind: 'date' },
  seen: { kind: 'datetime', fsp: 6 },
  saved: { kind: 'datetime', fsp: 3 },
  changed: { kind: 'timestamp' },
  took: { kind: 'time' },
  doc: { kind: 'json' },
  tags: { kind: 'set' },
  flags: { kind: 'bit', length: 16 },
  raw: { kind: 'blob' },
  note: { kind: 'varchar' },
}

const row = {
  id: '9007199254740993',
  u64: '18446744073709551615',
  amount: '-1234567.05',
  born: '1969-12-31',
  seen: '2023-03-23 14:30:05.123456',
  saved: '2023-03-23 14:30:05.120',
  changed: '2023-03-23T22:00:10.123456Z',
  took: '-838:59:59',
  doc: '{"a": [1, 2.50], "b": null}',
  tags: 'a,c',
  flags: '1991',
  raw: 'by\u0000tes\u00ff',
  note: '中文',
}

const record = (value: string | null, key: string | null = null, topic = 'srv.shop.orders') => ({ topic, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value) })
const utc = { timeZone: 'UTC' }
const rows = (e: ChangeEvent): RowEvent => {
  assert.equal(e.kind, 'rows', JSON.stringify(e))
  return e as RowEvent
}
const skip = (e: ChangeEvent): SkippedEvent => {
  assert.equal(e.kind, 'skip', JSON.stringify(e))
  return e as SkippedEvent
}

describe('Debezium change envelope', () => {
  test('with the schema: every MySQL type comes back as MySQL shows it', () => {
    const e = rows(decodeDebeziumMessage(record(debezium({ op: 'c', db: 'shop', table: 'orders', after: row, tsMs: 1_679_581_805_000 }, columns, { schema: true })), utc))
    assert.equal(e.type, 'INSERT')
    assert.equal(e.database, 'shop')
    assert.equal(e.table, 'orders')
    assert.equal(e.es, 1_679_581_805_000)
    assert.deepEqual(e.data, [{
      id: '9007199254740993',
      u64: '18446744073709551615',
      amount: '-1234567.05',
      born: '1969-12-31',
      seen: '2023-03-23 14:30:05.123456',
      saved: '2023-03-23 14:30:05.12',
      changed: '2023-03-23 22:00:10.123456',
      took: '-838:59:59',
      doc: '{"a": [1, 2.50], "b": null}',
      tags: 'a,c',
      flags: '1991',
      raw: 'by\u0000tes\u00ff',
      note: '中文',
    }])
  })

  test('a TIMESTAMP (ZonedTimestamp, UTC) is written in the instance time zone, daylight saving included', () => {
    const at = (changed: string, timeZone: string) =>
      rows(decodeDebeziumMessage(record(debezium({ op: 'c', db: 'shop', table: 'orders', after: { id: '1', changed } }, columns, { schema: true })), { timeZone })).data[0]!.changed
    assert.equal(at('2023-03-23T22:00:10.5Z', 'Asia/Shanghai'), '2023-03-24 06:00:10.5')
    assert.equal(at('2023-07-01T12:00:00Z', 'Europe/Berlin'), '2023-07-01 14:00:00')
    assert.equal(at('2023-01-01T12:00:00Z', 'Europe/Berlin'), '2023-01-01 13:00:00')
    assert.equal(at('2023-01-01T00:30:00Z', 'America/New_York'), '2022-12-31 19:30:00')
  })

  test('decimals in every decimal.handling.mode: precise (base64 + scale), string, double', () => {
    const precise = (v: string, scale: number) => {
      const cols: Columns = { d: { kind: 'decimal', scale } }
      return rows(decodeDebeziumMessage(record(debezium({ op: 'c', db: 's', table: 't', after: { d: v } }, cols, { schema: true })), utc)).data[0]!.d
    }
    assert.equal(precise('10000', 0), '10000')
    assert.equal(precise('1200.00', 2), '1200.00')
    assert.equal(precise('3.14', 2), '3.14')
    assert.equal(precise('-0.01', 2), '-0.01')
    assert.equal(precise('0.000000001', 9), '0.000000001')
    assert.equal(precise('12345678901234567890.123456789', 9), '12345678901234567890.123456789')
    // The reference's own check values: "JxA=" is 10000, "AdTA" with scale 2 is 1200.00.
    const raw = (d: string, scale: string) =>
      rows(decodeDebeziumMessage(record(JSON.stringify({ schema: { type: 'struct', fields: [{ field: 'after', type: 'struct', fields: [{ field: 'd', type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale } }] }] }, payload: { before: null, after: { d }, source: { db: 's', table: 't', ts_ms: 1 }, op: 'c' } })), utc)).data[0]!.d
    assert.equal(raw('JxA=', '0'), '10000')
    assert.equal(raw('AdTA', '2'), '1200.00')
    // string mode: a string schema; double mode: a number, digits kept.
    const plain = (d: unknown) => rows(decodeDebeziumMessage(record(`{"before":null,"after":{"d":${JSON.stringify(d)}},"source":{"db":"s","table":"t","ts_ms":1},"op":"c"}`), utc)).data[0]!.d
    assert.equal(plain('12345678901234567890.123456789'), '12345678901234567890.123456789')
    assert.equal(plain(3.14), '3.14')
    const big = rows(decodeDebeziumMessage(record('{"before":null,"after":{"d":12345678901234567890.12},"source":{"db":"s","table":"t","ts_ms":1},"op":"c"}'), utc)).data[0]!.d
    assert.equal(big, '12345678901234567890.12')
  })

  test('without the schema envelope: plain JSON values, digits kept, booleans as 1/0', () => {
    const e = rows(decodeDebeziumMessage(record('{"before":null,"after":{"id":18446744073709551615,"ok":true,"off":false,"s":"x","n":null,"o":{"k":[1,"2"]}},"source":{"db":"shop","table":"orders","ts_ms":5000},"op":"r","ts_ms":9}'), utc))
    assert.equal(e.type, 'INSERT', 'a snapshot read loads like an insert')
    assert.deepEqual(e.data, [{ id: '18446744073709551615', ok: '1', off: '0', s: 'x', n: null, o: '{"k": [1, "2"]}' }])
  })

  test('update: the after image, with the before image as old (a key change deletes the old key in the row builder)', () => {
    const e = rows(decodeDebeziumMessage(record(debezium({ op: 'u', db: 'shop', table: 'orders', before: { id: '1', note: 'a' }, after: { id: '1', note: 'b' } }, columns, { schema: false }), debeziumKey({ id: '1' }, columns, { schema: false })), utc))
    assert.equal(e.type, 'UPDATE')
    assert.deepEqual(e.data, [{ id: '1', note: 'b' }])
    assert.deepEqual(e.old, [{ id: '1', note: 'a' }])
    assert.deepEqual(e.pkNames, ['id'])
  })

  test('delete: the before image; with no before, the key from the message key', () => {
    const d = rows(decodeDebeziumMessage(record(debezium({ op: 'd', db: 'shop', table: 'orders', before: { id: '7', note: 'x' } }, columns, { schema: true }), debeziumKey({ id: '7' }, columns, { schema: true })), utc))
    assert.equal(d.type, 'DELETE')
    assert.deepEqual(d.data, [{ id: '7', note: 'x' }])
    const keyOnly = rows(decodeDebeziumMessage(record(debezium({ op: 'd', db: 'shop', table: 'orders', before: null }, columns, { schema: false }), debeziumKey({ id: '8' }, columns, { schema: false })), utc))
    assert.deepEqual(keyOnly.data, [{ id: '8' }])
    const none = decodeDebeziumMessage(record(debezium({ op: 'd', db: 'shop', table: 'orders', before: null }, columns, { schema: false })), utc)
    assert.deepEqual(none, { kind: 'unreadable', reason: 'op "d" with no "before" and no message key' })
  })

  test('key columns the value lacks come from the message key', () => {
    const e = rows(decodeDebeziumMessage(record('{"before":null,"after":{"note":"n"},"source":{"db":"shop","table":"orders","ts_ms":1},"op":"c"}', debeziumKey({ id: '9007199254740993' }, columns, { schema: true })), utc))
    assert.deepEqual(e.data, [{ note: 'n', id: '9007199254740993' }])
  })

  test('tombstones, heartbeats, transaction metadata, truncate and schema changes carry no rows, each with its reason', () => {
    assert.equal(skip(decodeDebeziumMessage(record(null, '{"id":1}'), utc)).reason, 'tombstone')
    assert.equal(skip(decodeDebeziumMessage(record(debeziumHeartbeat(), '{"serverName":"srv"}', '__debezium-heartbeat.srv'), utc)).reason, 'heartbeat')
    assert.equal(skip(decodeDebeziumMessage(record(debeziumTransaction('BEGIN', 'txn-1'), null, 'srv.transaction'), utc)).reason, 'transaction')
    assert.equal(skip(decodeDebeziumMessage(record(debeziumTransaction('END', 'txn-1'), null, 'srv.transaction'), utc)).reason, 'transaction')
    const truncate = skip(decodeDebeziumMessage(record(debezium({ op: 't', db: 'shop', table: 'orders' }, columns, { schema: false })), utc))
    assert.deepEqual(truncate, { kind: 'skip', reason: 'ddl', database: 'shop', table: 'orders', type: 'TRUNCATE' })
    const ddl = skip(decodeDebeziumMessage(record(debeziumSchemaChange('shop', 'orders', 'ALTER TABLE orders ADD c INT'), '{"databaseName":"shop"}', 'srv'), utc))
    assert.deepEqual(ddl, { kind: 'skip', reason: 'ddl', database: 'shop', table: 'orders', type: 'ALTER', sql: 'ALTER TABLE orders ADD c INT' })
  })

  test('unreadable records say why', () => {
    assert.match((decodeDebeziumMessage(record('{"op":'), utc) as { reason: string }).reason, /^invalid JSON/)
    assert.deepEqual(decodeDebeziumMessage(record('[1]'), utc), { kind: 'unreadable', reason: 'not a Debezium record: expected a JSON object' })
    const badDecimal = decodeDebeziumMessage(record(JSON.stringify({ schema: { type: 'struct', fields: [{ field: 'after', type: 'struct', fields: [{ field: 'd', type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } }] }] }, payload: { before: null, after: { d: 'not base64!' }, source: { db: 's', table: 't', ts_ms: 1 }, op: 'c' } })), utc)
    assert.deepEqual(badDecimal, { kind: 'unreadable', reason: 'column d: not base64: "not base64!"' })
    assert.deepEqual(decodeDebeziumMessage(record('{"a":1}', null, 'plain'), utc).kind, 'unreadable')
  })
})

describe('Debezium flattened (ExtractNewRecordState)', () => {
  test('rewrite mode: __deleted marks a delete; added fields name the table and are not columns', () => {
    const ins = rows(decodeDebeziumMessage(record(debeziumFlat({ op: 'c', db: 'shop', table: 'orders', after: { id: '1', note: 'a' }, tsMs: 5000 }, columns)), utc))
    assert.deepEqual([ins.type, ins.database, ins.table, ins.es, ins.data], ['INSERT', 'shop', 'orders', 5000, [{ id: '1', note: 'a' }]])
    const upd = rows(decodeDebeziumMessage(record(debeziumFlat({ op: 'u', db: 'shop', table: 'orders', after: { id: '1', note: 'b' } }, columns)), utc))
    assert.equal(upd.type, 'UPDATE')
    const del = rows(decodeDebeziumMessage(record(debeziumFlat({ op: 'd', db: 'shop', table: 'orders', before: { id: '1', note: 'b' } }, columns)), utc))
    assert.deepEqual([del.type, del.data], ['DELETE', [{ id: '1', note: 'b' }]])
  })

  test('with no added fields, the table comes from the topic name <prefix>.<db>.<table>', () => {
    const e = rows(decodeDebeziumMessage(record('{"id":3,"note":"x","__deleted":"false"}', '{"id":3}', 'srv.shop.items'), utc))
    assert.deepEqual([e.database, e.table, e.type, e.data], ['shop', 'items', 'INSERT', [{ id: '3', note: 'x' }]])
    assert.deepEqual(e.pkNames, ['id'])
  })
})
