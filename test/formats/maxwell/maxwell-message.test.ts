import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeMaxwellMessage } from '../../../src/formats/maxwell/maxwell-message.ts'
import type { ChangeEvent, RowEvent, SkippedEvent } from '../../../src/formats/row-event.ts'
import { maxwell, maxwellDdl, maxwellKey, type Columns } from '../../harness/cdc-fixtures.ts'

const columns: Columns = {
  id: { kind: 'bigint-unsigned' },
  amount: { kind: 'decimal', scale: 9 },
  tags: { kind: 'set' },
  flags: { kind: 'bit', length: 64 },
  doc: { kind: 'json' },
  born: { kind: 'date' },
  seen: { kind: 'datetime', fsp: 6 },
  note: { kind: 'varchar' },
  status: { kind: 'varchar' },
}

const record = (value: string | null, key: string | null = null) => ({ topic: 'maxwell', key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value) })
const rows = (e: ChangeEvent): RowEvent => {
  assert.equal(e.kind, 'rows', JSON.stringify(e))
  return e as RowEvent
}
const skip = (e: ChangeEvent): SkippedEvent => {
  assert.equal(e.kind, 'skip', JSON.stringify(e))
  return e as SkippedEvent
}

describe('Maxwell records', () => {
  test("insert: Maxwell's renderings arrive as MySQL had them", () => {
    const data = {
      id: '18446744073709551615',
      amount: '12345678901234567890.123456789',
      tags: 'b_val,c_val',
      flags: '18446744073709551615',
      doc: '{"foo": "bar", "n": [1, 2.5, 12345678901234567890]}',
      born: '0000-00-00',
      seen: '0000-00-00 00:00:00',
      note: '中文',
      status: 'active',
    }
    const e = rows(decodeMaxwellMessage(record(maxwell({ type: 'insert', database: 'shop', table: 'orders', data, ts: 1_477_053_217 }, columns))))
    assert.deepEqual([e.type, e.database, e.table, e.es], ['INSERT', 'shop', 'orders', 1_477_053_217_000])
    assert.deepEqual(e.data, [data])
  })

  test('an empty SET is an empty string; NULL stays null', () => {
    const e = rows(decodeMaxwellMessage(record(maxwell({ type: 'insert', database: 's', table: 't', data: { id: '1', tags: '', note: null } }, columns))))
    assert.deepEqual(e.data, [{ id: '1', tags: '', note: null }])
  })

  test('update: data with old (the changed columns, null meaning NULL before); xid and commit ignored', () => {
    const e = rows(decodeMaxwellMessage(record(maxwell({ type: 'update', database: 'shop', table: 'orders', data: { id: '2', note: 'b' }, old: { id: '1', note: null }, xid: 99, commit: true }, columns), maxwellKey('shop', 'orders', { id: '2' }))))
    assert.equal(e.type, 'UPDATE')
    assert.deepEqual(e.data, [{ id: '2', note: 'b' }])
    assert.deepEqual(e.old, [{ id: '1', note: null }])
    assert.deepEqual(e.pkNames, ['id'], 'from the key: pk.id')
  })

  test('delete, and bootstrap-insert loads like an insert', () => {
    assert.equal(rows(decodeMaxwellMessage(record(maxwell({ type: 'delete', database: 's', table: 't', data: { id: '1' } }, columns)))).type, 'DELETE')
    assert.equal(rows(decodeMaxwellMessage(record(maxwell({ type: 'bootstrap-insert', database: 's', table: 't', data: { id: '1' } }, columns)))).type, 'INSERT')
  })

  test('primary_key_columns, when Maxwell sends them, name the key', () => {
    const e = rows(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"insert","ts":1,"primary_key_columns":["a","b"],"data":{"a":1,"b":"x"}}')))
    assert.deepEqual(e.pkNames, ['a', 'b'])
    const arrayKey = rows(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"insert","ts":1,"data":{"id":4}}', '["s","t",[{"id":4}]]')))
    assert.deepEqual(arrayKey.pkNames, ['id'])
  })

  test('bootstrap-start/-complete and DDL records carry no rows, each with its reason', () => {
    assert.deepEqual(skip(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"bootstrap-start","ts":1,"data":{}}'))), { kind: 'skip', reason: 'bootstrap', database: 's', table: 't', type: 'bootstrap-start' })
    assert.equal(skip(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"bootstrap-complete","ts":1,"data":{}}'))).reason, 'bootstrap')
    for (const type of ['table-create', 'table-alter', 'table-drop', 'database-create', 'database-drop']) {
      const e = skip(decodeMaxwellMessage(record(maxwellDdl(type, 'shop', 'orders', 'ALTER TABLE orders ADD c INT'))))
      assert.deepEqual(e, { kind: 'skip', reason: 'ddl', database: 'shop', table: 'orders', type, sql: 'ALTER TABLE orders ADD c INT' })
    }
    assert.equal(skip(decodeMaxwellMessage(record(null))).reason, 'tombstone')
    assert.equal(skip(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"heartbeat","ts":1}'))).reason, 'unknown-type')
  })

  test('unreadable records say why', () => {
    assert.deepEqual(decodeMaxwellMessage(record('{"database":"s","table":"t","ts":1}')), { kind: 'unreadable', reason: 'not a Maxwell record: "type" is missing or not a string' })
    assert.deepEqual(decodeMaxwellMessage(record('{"database":"s","table":"t","type":"insert","data":[1]}')), { kind: 'unreadable', reason: '"data" must be an object (the row)' })
    assert.deepEqual(decodeMaxwellMessage(record('{"database":"","table":"t","type":"insert","data":{}}')), { kind: 'unreadable', reason: 'insert without "database" or "table"' })
    assert.match((decodeMaxwellMessage(record('{')) as { reason: string }).reason, /^invalid JSON/)
  })
})
