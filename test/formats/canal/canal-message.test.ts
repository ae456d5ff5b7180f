import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { decodeCanalMessage, canalEventTime, canalRowCount, type CanalEvent, type RowEvent, type SkippedEvent, type UnreadableEvent } from '../../../src/formats/canal/canal-message.ts'

// Verbatim canal flat messages, cdc-formats.md §A.6 (C1 = apache/flink canal-data.txt,
// C2 = apache/flink canal-data-filter-table.txt). String.raw keeps the JSON escapes (\n) intact.
const C1_L1 = String.raw`{"data":[{"id":"101","name":"scooter","description":"Small 2-wheel scooter","weight":"3.14"},{"id":"102","name":"car battery","description":"12V car battery","weight":"8.1"},{"id":"103","name":"12-pack drill bits","description":"12-pack of drill bits with sizes ranging from #40 to #3","weight":"0.8"},{"id":"104","name":"hammer","description":"12oz carpenter's hammer","weight":"0.75"},{"id":"105","name":"hammer","description":"14oz carpenter's hammer","weight":"0.875"},{"id":"106","name":"hammer","description":"16oz carpenter's hammer","weight":"1.0"},{"id":"107","name":"rocks","description":"box of assorted rocks","weight":"5.3"},{"id":"108","name":"jacket","description":"water resistent black wind breaker","weight":"0.1"},{"id":"109","name":"spare tire","description":"24 inch spare tire","weight":"22.2"}],"database":"inventory","es":1589373515000,"id":3,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373515477,"type":"INSERT"}`
const C1_L2 = String.raw`{"data":[{"id":"106","name":"hammer","description":"18oz carpenter hammer","weight":"1.0"}],"database":"inventory","es":1589373546000,"id":4,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"description":"16oz carpenter's hammer"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373546301,"type":"UPDATE"}`
const C1_L6 = String.raw`{"data":[{"id":"110","name":"jacket","description":"new water resistent white wind breaker","weight":"0.5"}],"database":"inventory","es":1589373558000,"id":8,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"description":"water resistent white wind breaker","weight":"0.2"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373558230,"type":"UPDATE"}`
const C1_L8 = String.raw`{"data":[{"id":"111","name":"scooter","description":"Big 2-wheel scooter ","weight":"5.17"}],"database":"inventory","es":1589373563000,"id":10,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373563798,"type":"DELETE"}`
const C1_L9 = String.raw`{"data":[{"id":"101","name":"scooter","description":"Small 2-wheel scooter","weight":"5.17"},{"id":"102","name":"car battery","description":"12V car battery","weight":"5.17"}],"database":"inventory","es":1589373753000,"id":11,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":[{"weight":"3.14"},{"weight":"8.1"}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589373753939,"type":"UPDATE"}`
const C1_L10 = '{"data":null,"database":"inventory","es":1589373566000,"id":13,"isDdl":true,"mysqlType":null,"old":null,"pkNames":null,"sql":"CREATE TABLE `xj_`.`user02` (`uid` int(0) NOT NULL,`uname` varchar(255) NULL, PRIMARY KEY (`uid`))","sqlType":null,"table":"user02","ts":1589373566000,"type":"CREATE"}'
const C1_L11 = String.raw`{"data":[{"id":"102","name":"car battery","description":"12V car battery","weight":"5.17"},{"id":"103","name":"12-pack drill bits","description":"12-pack of drill bits with sizes ranging from #40 to #3","weight":"0.8"}],"database":"inventory","es":1589374013000,"id":12,"isDdl":false,"mysqlType":{"id":"INTEGER","name":"VARCHAR(255)","description":"VARCHAR(512)","weight":"FLOAT"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"products2","ts":1589374013680,"type":"DELETE"}`
const C2_L2 = String.raw`{"data":[{"id":"106","name":"hammer","description":"18oz carpenter hammer","weight":"1.0"}],"database":"mydb","es":1598944202000,"id":2,"isDdl":false,"mysqlType":{"id":"int(11)","name":"varchar(255)","description":"varchar(512)","weight":"float"},"old":[{"description":null}],"pkNames":["id"],"sql":"","sqlType":{"id":4,"name":12,"description":12,"weight":7},"table":"product","ts":1598944202218,"type":"UPDATE"}`
const C2_L3 = String.raw`{"data":null,"database":"mydb","es":1598944271000,"id":3,"isDdl":true,"mysqlType":null,"old":null,"pkNames":null,"sql":"CREATE TABLE orders (\n  order_number INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  order_date DATE NOT NULL,\n  purchaser INTEGER NOT NULL,\n  quantity INTEGER NOT NULL,\n  product_id INTEGER NOT NULL\n) AUTO_INCREMENT = 10001","sqlType":null,"table":"orders","ts":1598944271192,"type":"CREATE"}`

const buf = (s: string): Buffer => Buffer.from(s, 'utf8')

function asRows(e: CanalEvent): RowEvent {
  if (e.kind !== 'rows') assert.fail(`expected a row event, got ${JSON.stringify(e)}`)
  return e
}
function asSkip(e: CanalEvent): SkippedEvent {
  if (e.kind !== 'skip') assert.fail(`expected a skipped event, got ${JSON.stringify(e)}`)
  return e
}
function asUnreadable(e: CanalEvent): UnreadableEvent {
  if (e.kind !== 'unreadable') assert.fail(`expected an unreadable event, got ${JSON.stringify(e)}`)
  return e
}

describe('decodeCanalMessage: row events', () => {
  test('multi-row INSERT (C1 line 1) gives every row, in order, as canal wrote it', () => {
    const e = asRows(decodeCanalMessage(buf(C1_L1)))
    assert.equal(e.type, 'INSERT')
    assert.equal(e.database, 'inventory')
    assert.equal(e.table, 'products2')
    assert.equal(e.es, 1589373515000)
    assert.deepEqual(e.pkNames, ['id'])
    assert.equal(e.data.length, 9)
    assert.deepEqual(e.data.map((r) => r.id), ['101', '102', '103', '104', '105', '106', '107', '108', '109'])
    assert.deepEqual(e.data[0], { id: '101', name: 'scooter', description: 'Small 2-wheel scooter', weight: '3.14' })
    assert.deepEqual(e.data[3], { id: '104', name: 'hammer', description: "12oz carpenter's hammer", weight: '0.75' })
    assert.deepEqual(e.data[8], { id: '109', name: 'spare tire', description: '24 inch spare tire', weight: '22.2' })
    // "old": null on an INSERT: no before images.
    assert.deepEqual(e.old, [])
  })

  test('UPDATE (C1 line 6): data is the after image, old holds only the changed columns', () => {
    const e = asRows(decodeCanalMessage(buf(C1_L6)))
    assert.equal(e.type, 'UPDATE')
    assert.equal(e.es, 1589373558000)
    assert.deepEqual(e.data, [{ id: '110', name: 'jacket', description: 'new water resistent white wind breaker', weight: '0.5' }])
    assert.deepEqual(e.old, [{ description: 'water resistent white wind breaker', weight: '0.2' }])
  })

  test('multi-row UPDATE (C1 line 9): old is lined up with data by index', () => {
    const e = asRows(decodeCanalMessage(buf(C1_L9)))
    assert.equal(e.type, 'UPDATE')
    assert.deepEqual(e.data, [
      { id: '101', name: 'scooter', description: 'Small 2-wheel scooter', weight: '5.17' },
      { id: '102', name: 'car battery', description: '12V car battery', weight: '5.17' },
    ])
    assert.deepEqual(e.old, [{ weight: '3.14' }, { weight: '8.1' }])
  })

  test('UPDATE whose old value was NULL (C2 line 2): the null is kept, not dropped', () => {
    const e = asRows(decodeCanalMessage(buf(C2_L2)))
    assert.equal(e.type, 'UPDATE')
    assert.equal(e.database, 'mydb')
    assert.equal(e.table, 'product')
    assert.deepEqual(e.data, [{ id: '106', name: 'hammer', description: '18oz carpenter hammer', weight: '1.0' }])
    assert.deepEqual(e.old, [{ description: null }])
    assert.ok(Object.hasOwn(e.old[0]!, 'description'))
  })

  test('UPDATE with "old": [] (hand-made producers) is read as no before images', () => {
    const e = asRows(decodeCanalMessage(buf('{"type":"UPDATE","database":"d","table":"t","data":[{"id":"1"}],"old":[],"pkNames":["id"],"es":1000}')))
    assert.deepEqual(e.data, [{ id: '1' }])
    assert.deepEqual(e.old, [])
  })

  test('DELETE (C1 line 8): data is the before image, old is empty', () => {
    const e = asRows(decodeCanalMessage(buf(C1_L8)))
    assert.equal(e.type, 'DELETE')
    assert.deepEqual(e.data, [{ id: '111', name: 'scooter', description: 'Big 2-wheel scooter ', weight: '5.17' }])
    assert.deepEqual(e.old, [])
  })

  test('multi-row DELETE (C1 line 11) gives both rows', () => {
    const e = asRows(decodeCanalMessage(buf(C1_L11)))
    assert.equal(e.type, 'DELETE')
    assert.equal(e.es, 1589374013000)
    assert.deepEqual(e.data.map((r) => r.id), ['102', '103'])
    assert.equal(e.data[1]!.description, '12-pack of drill bits with sizes ranging from #40 to #3')
  })

  test('values stay the exact strings canal sent (BIGINT UNSIGNED, DECIMAL, float text, zero dates), null stays null', () => {
    const message = JSON.stringify({
      data: [
        {
          id: '18446744073709551615',
          amount: '12345678901234567890.123456789',
          scaled: '12345.110',
          f: '1.0E-4',
          zero: '0000-00-00 00:00:00',
          empty: '',
          latin1: 'ð\u0000x',
          gone: null,
        },
      ],
      database: 'shop',
      table: 'ledger',
      es: 1700000000000,
      isDdl: false,
      old: null,
      pkNames: ['id'],
      sql: '',
      type: 'INSERT',
    })
    const e = asRows(decodeCanalMessage(buf(message)))
    const row = e.data[0]!
    assert.equal(row.id, '18446744073709551615')
    assert.equal(row.amount, '12345678901234567890.123456789')
    assert.equal(row.scaled, '12345.110')
    assert.equal(row.f, '1.0E-4')
    assert.equal(row.zero, '0000-00-00 00:00:00')
    assert.equal(row.empty, '')
    assert.equal(row.latin1, 'ð\u0000x')
    assert.equal(row.gone, null)
    // Serialised again (as the Stream Load body will be), the digits survive unchanged.
    assert.match(JSON.stringify(row), /"id":"18446744073709551615","amount":"12345678901234567890\.123456789"/)
  })

  test('missing pkNames (table without a primary key, "pkNames": null) gives an empty list', () => {
    const e = asRows(decodeCanalMessage(buf('{"type":"INSERT","database":"d","table":"t","data":[{"a":"1"}],"pkNames":null,"es":1000}')))
    assert.deepEqual(e.pkNames, [])
  })
})

describe('decodeCanalMessage: messages that carry no rows', () => {
  test('CREATE DDL (C1 line 10) is skipped as ddl, with its SQL', () => {
    const e = asSkip(decodeCanalMessage(buf(C1_L10)))
    assert.equal(e.reason, 'ddl')
    assert.equal(e.type, 'CREATE')
    assert.equal(e.database, 'inventory')
    assert.equal(e.table, 'user02')
    assert.equal(e.sql, 'CREATE TABLE `xj_`.`user02` (`uid` int(0) NOT NULL,`uname` varchar(255) NULL, PRIMARY KEY (`uid`))')
  })

  test('DDL whose SQL contains newlines (C2 line 3) keeps the SQL text exactly', () => {
    const e = asSkip(decodeCanalMessage(buf(C2_L3)))
    assert.equal(e.reason, 'ddl')
    assert.equal(e.table, 'orders')
    assert.equal(
      e.sql,
      'CREATE TABLE orders (\n  order_number INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  order_date DATE NOT NULL,\n  purchaser INTEGER NOT NULL,\n  quantity INTEGER NOT NULL,\n  product_id INTEGER NOT NULL\n) AUTO_INCREMENT = 10001',
    )
  })

  for (const type of ['CREATE', 'ALTER', 'ERASE', 'TRUNCATE', 'RENAME', 'CINDEX', 'DINDEX']) {
    test(`${type} with isDdl false (canal #3418) is still a ddl skip, never rows`, () => {
      const sql = `${type} something`
      const e = asSkip(decodeCanalMessage(buf(JSON.stringify({ data: null, database: 'shop', table: 'orders', isDdl: false, type, sql, es: 1000, old: null, pkNames: null }))))
      assert.deepEqual(e, { kind: 'skip', reason: 'ddl', database: 'shop', table: 'orders', type, sql })
    })
  }

  test('isDdl true decides even for a type we do not list', () => {
    const e = asSkip(decodeCanalMessage(buf('{"data":null,"database":"shop","table":"","isDdl":true,"type":"QUERY","sql":"CREATE DATABASE shop"}')))
    assert.equal(e.reason, 'ddl')
    assert.equal(e.sql, 'CREATE DATABASE shop')
  })

  test('rows-query QUERY event (isDdl false) is skipped as query', () => {
    const e = asSkip(decodeCanalMessage(buf('{"data":null,"database":"","table":"","isDdl":false,"type":"QUERY","sql":"INSERT INTO t VALUES (1)","es":1000,"old":null,"pkNames":null}')))
    assert.deepEqual(e, { kind: 'skip', reason: 'query', database: '', table: '', type: 'QUERY', sql: 'INSERT INTO t VALUES (1)' })
  })

  for (const type of ['INSERT', 'UPDATE', 'DELETE']) {
    test(`statement-format ${type} (data null) is skipped as statement-dml`, () => {
      const sql = `${type} t ...`
      const e = asSkip(decodeCanalMessage(buf(JSON.stringify({ data: null, database: 'shop', table: 't', isDdl: false, type, sql, old: null }))))
      assert.deepEqual(e, { kind: 'skip', reason: 'statement-dml', database: 'shop', table: 't', type, sql })
    })
  }

  for (const type of ['MHEARTBEAT', 'TIDB_WATERMARK', 'GTID', 'insert']) {
    test(`unknown type ${type} is skipped as unknown-type with the type kept`, () => {
      const e = asSkip(decodeCanalMessage(buf(JSON.stringify({ data: [{ id: '1' }], database: 'shop', table: 't', isDdl: false, type }))))
      assert.equal(e.reason, 'unknown-type')
      assert.equal(e.type, type)
      assert.equal(e.database, 'shop')
      assert.equal(e.table, 't')
    })
  }

  test('a tombstone (null value) is skipped as tombstone', () => {
    assert.deepEqual(decodeCanalMessage(null), { kind: 'skip', reason: 'tombstone', database: '', table: '', type: '' })
  })
})

describe('decodeCanalMessage: unreadable messages say why', () => {
  test('invalid JSON', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"data":[{"id":"1"}')))
    assert.match(e.reason, /^invalid JSON: /)
  })

  test('empty value', () => {
    assert.match(asUnreadable(decodeCanalMessage(buf(''))).reason, /^invalid JSON/)
  })

  for (const text of ['[1,2]', '"INSERT"', '42', 'null', 'true']) {
    test(`JSON that is not an object: ${text}`, () => {
      assert.equal(asUnreadable(decodeCanalMessage(buf(text))).reason, 'not a canal flat message: expected a JSON object')
    })
  }

  test('missing type', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"data":[{"id":"1"}],"database":"d","table":"t"}')))
    assert.equal(e.reason, 'not a canal flat message: "type" is missing or not a string')
  })

  test('type that is not a string', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"data":[{"id":"1"}],"database":"d","table":"t","type":1}')))
    assert.equal(e.reason, 'not a canal flat message: "type" is missing or not a string')
  })

  test('a value that is a number (not a canal producer) names row and column', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"type":"INSERT","database":"d","table":"t","data":[{"id":"1"},{"id":2}]}')))
    assert.equal(e.reason, '"data[1].id" is number, canal sends strings or null')
  })

  test('a value that is an object in old names old', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"type":"UPDATE","database":"d","table":"t","data":[{"id":"1"}],"old":[{"j":{"a":1}}]}')))
    assert.equal(e.reason, '"old[0].j" is object, canal sends strings or null')
  })

  test('data that is not an array, or a row that is not an object', () => {
    assert.equal(asUnreadable(decodeCanalMessage(buf('{"type":"INSERT","database":"d","table":"t","data":{"id":"1"}}'))).reason, '"data" must be an array of row objects')
    assert.equal(asUnreadable(decodeCanalMessage(buf('{"type":"INSERT","database":"d","table":"t","data":["1"]}'))).reason, '"data[0]" is not an object')
  })

  test('old with a different number of rows than data', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"type":"UPDATE","database":"d","table":"t","data":[{"id":"1","a":"x"},{"id":"2","a":"y"}],"old":[{"a":"w"}]}')))
    assert.equal(e.reason, '"old" has 1 rows but "data" has 2')
  })

  test('rows without database or table', () => {
    const e = asUnreadable(decodeCanalMessage(buf('{"type":"INSERT","database":"","table":"t","data":[{"id":"1"}]}')))
    assert.equal(e.reason, 'INSERT without "database" or "table"')
  })
})

describe('canalRowCount', () => {
  test('counts the rows of a row message', () => {
    assert.equal(canalRowCount(buf(C1_L1)), 9)
    assert.equal(canalRowCount(buf(C1_L9)), 2)
    assert.equal(canalRowCount(buf(C1_L8)), 1)
  })

  test('anything without rows counts as one, so it still cuts batches', () => {
    assert.equal(canalRowCount(buf(C1_L10)), 1)
    assert.equal(canalRowCount(null), 1)
    assert.equal(canalRowCount(buf('not json')), 1)
    assert.equal(canalRowCount(buf('null')), 1)
    assert.equal(canalRowCount(buf('{"type":"INSERT","data":[]}')), 1)
    assert.equal(canalRowCount(buf('{"data":"[{}]","type":"INSERT"}')), 1)
    assert.equal(canalRowCount(buf('{"data":[{"a":"1"}')), 1, 'cut short: unknown, counts as one')
  })

  test('counts only the rows of the top-level "data" array, whatever the values hold', () => {
    assert.equal(canalRowCount(buf(C2_L2)), 1)
    assert.equal(canalRowCount(buf('{ "type" : "INSERT", "data" : [ {"j":"{\\"x\\":[{}]}"}, {"s":"a } ] \\" {"}, {"n":null} ], "old": [{}, {}, {}, {}] }')), 3)
    assert.equal(canalRowCount(buf('{"old":[{"a":"1"},{"a":"2"}],"x":{"data":[{},{}]},"data":[{"a":"3"}]}')), 1)
  })

  test('agrees with a full parse on every verbatim sample', () => {
    for (const sample of [C1_L1, C1_L2, C1_L6, C1_L8, C1_L9, C1_L10, C1_L11, C2_L2, C2_L3]) {
      const data = (JSON.parse(sample) as { data: unknown[] | null }).data
      assert.equal(canalRowCount(buf(sample)), data && data.length > 0 ? data.length : 1)
    }
  })
})

describe('canalEventTime', () => {
  test("the binlog time of a message, for lag in seconds; null when it has none", () => {
    assert.equal(canalEventTime(buf(C1_L1)), 1589373515000)
    assert.equal(canalEventTime(buf(C1_L10)), 1589373566000)
    assert.equal(canalEventTime(null), null)
    assert.equal(canalEventTime(buf('{"data": [')), null)
    assert.equal(canalEventTime(buf('{"type":"INSERT","es":"1589373515000"}')), null)
    assert.equal(canalEventTime(buf('[1,2]')), null)
  })
})
