import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { detectFormat, formatReader } from '../../src/formats/change-format.ts'
import { canal, canalDdl } from '../harness/canal-fixtures.ts'
import { debezium, debeziumFlat, debeziumSchemaChange, maxwell, maxwellDdl } from '../harness/cdc-fixtures.ts'

describe('change formats', () => {
  test('a pasted message is recognised by the fields each tool writes', () => {
    assert.equal(detectFormat(canal('INSERT', 'shop', 'orders', [{ id: '1' }])), 'canal')
    assert.equal(detectFormat(canalDdl('shop', 'orders', 'ALTER TABLE orders ADD c INT')), 'canal')
    for (const schema of [true, false]) assert.equal(detectFormat(debezium({ op: 'u', db: 's', table: 't', before: { id: '1' }, after: { id: '1' } }, {}, { schema })), 'debezium')
    assert.equal(detectFormat(debeziumFlat({ op: 'd', db: 's', table: 't', before: { id: '1' } }, {})), 'debezium')
    assert.equal(detectFormat(debeziumSchemaChange('s', 't', 'ALTER TABLE t ADD c INT')), 'debezium')
    assert.equal(detectFormat(maxwell({ type: 'insert', database: 's', table: 't', data: { id: '1' } }, {})), 'maxwell')
    assert.equal(detectFormat(maxwellDdl('table-alter', 's', 't', 'ALTER TABLE t ADD c INT')), 'maxwell')
    for (const other of ['{"id":1}', '[1]', 'not json', '{"type":"insert"}']) assert.equal(detectFormat(other), null, other)
  })

  test('each reader counts rows and reads the binlog time of its own format', () => {
    const utc = { timeZone: 'UTC' }
    const buf = (s: string) => Buffer.from(s)
    assert.equal(formatReader('canal', utc).rowCount(buf(canal('INSERT', 's', 't', [{ id: '1' }, { id: '2' }]))), 2)
    assert.equal(formatReader('debezium', utc).rowCount(buf('{}')), 1)
    assert.equal(formatReader('maxwell', utc).rowCount(null), 1)
    assert.equal(formatReader('debezium', utc).eventTime(buf(debezium({ op: 'c', db: 's', table: 't', after: { id: '1' }, tsMs: 1_700_000_001_000 }, {}, { schema: true }))), 1_700_000_001_000)
    assert.equal(formatReader('debezium', utc).eventTime(buf(debeziumFlat({ op: 'c', db: 's', table: 't', after: { id: '1' }, tsMs: 1_700_000_002_000 }, {}))), 1_700_000_002_000)
    assert.equal(formatReader('maxwell', utc).eventTime(buf(maxwell({ type: 'insert', database: 's', table: 't', data: { id: '1' }, ts: 1_700_000_003 }, {}))), 1_700_000_003_000)
    assert.equal(formatReader('maxwell', utc).eventTime(buf('nope')), null)
  })
})
