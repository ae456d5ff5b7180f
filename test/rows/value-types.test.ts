import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeCanalMessage } from '../../src/formats/canal/canal-message.ts'
import { decodeMaxwellMessage } from '../../src/formats/maxwell/maxwell-message.ts'
import type { RowEvent } from '../../src/formats/row-event.ts'
import type { MappingRule } from '../../src/instances/config.ts'
import { tableRows } from '../../src/rows/row-changes.ts'
import { sourceTypeOf, valueConversion, type Written } from '../../src/rows/value-types.ts'
import type { TargetTable } from '../../src/starrocks/starrocks-schema.ts'

/**
 * Maxwell renders BLOB/BINARY values as base64 and types no column but JSON: into VARBINARY a
 * Maxwell value is that base64 (the bytes MySQL had), never encoded a second time; a value that is
 * not strict base64 refuses its row. canal's typed binary is untouched.
 */
const maxwellIntoVarbinary = valueConversion(null, 'varbinary', 'base64')!
const convert = (v: string): Written => maxwellIntoVarbinary(v)

describe('valueConversion: Maxwell base64 into VARBINARY', () => {
  test('strict base64 goes as it came: the from_base64() input, not encoded again', () => {
    for (const v of ['AAEC/w==', 'AAECAw==', 'AAEC', 'AAECAwQ=', '+/+/', '']) assert.deepEqual(convert(v), { json: JSON.stringify(v) }, v)
    assert.deepEqual([...Buffer.from(JSON.parse((convert('AAEC/w==') as { json: string }).json) as string, 'base64')], [0x00, 0x01, 0x02, 0xff])
  })

  test('anything else refuses its row with quarantine.notBase64 and the value', () => {
    const bad = [
      'hello world', // a text column mapped to VARBINARY
      'POINT (1 2)', // Maxwell's WKT of a geometry
      'AAEC/w=', // length not a multiple of 4
      'AAEC/w', // unpadded
      'AB==', // unused bits set: decodes to 00, which encodes as AA==
      'AAE=C/w=', // padding inside
      'AA-_', // URL-safe alphabet
      'AAEC\n/w==', // a line break (MIME)
      ' AAEC', // a space
      'AAEC/w===',
    ]
    for (const v of bad) {
      const out = convert(v)
      assert.ok('refused' in out, `${JSON.stringify(v)} should be refused`)
      assert.equal(out.code, 'quarantine.notBase64')
      assert.deepEqual(out.params, { value: v })
      assert.match(out.refused, /^the Maxwell value is not base64 .*VARBINARY: /)
    }
    // 200 x's would be base64 (of 150 bytes): base64 text cannot be told from any other text.
    assert.ok(!('refused' in convert('x'.repeat(200))))
    const out = convert('x'.repeat(201))
    assert.ok('refused' in out)
    assert.equal(out.params.value, `${'x'.repeat(80)}…`)
  })

  test('Maxwell values into string columns stay as sent; a Maxwell JSON document keeps its own handling', () => {
    assert.equal(valueConversion(null, 'string', 'base64'), null)
    assert.equal(valueConversion(null, 'other', 'base64'), null)
    const doc = valueConversion(sourceTypeOf('json'), 'varbinary', 'base64')!
    assert.deepEqual(doc('{"a":1}'), { json: JSON.stringify(Buffer.from('{"a":1}', 'utf8').toString('base64')) })
  })

  test('canal is unchanged: typed binary is ISO-8859-1 bytes, untyped text its UTF-8 bytes', () => {
    const bytes = Buffer.from('f000ff41', 'hex')
    const latin1 = bytes.toString('latin1')
    for (const rendering of [undefined, 'base64'] as const) {
      // A typed binary column: the type decides, whatever the format's rendering.
      assert.deepEqual(valueConversion(sourceTypeOf('varbinary(16)'), 'varbinary', rendering)!(latin1), { json: JSON.stringify(bytes.toString('base64')) })
      assert.deepEqual(valueConversion(sourceTypeOf('blob'), 'string', rendering)!(latin1), { json: '"F000FF41"' })
      // A typed text column is never read as base64.
      assert.deepEqual(valueConversion(sourceTypeOf('varchar(8)'), 'varbinary', rendering)!('AAEC'), { json: JSON.stringify(Buffer.from('AAEC', 'utf8').toString('base64')) })
    }
    // No mysqlType and no rendering (a hand-made canal message): the text's UTF-8 bytes, as before.
    assert.deepEqual(valueConversion(null, 'varbinary')!('AAEC/w=='), { json: JSON.stringify(Buffer.from('AAEC/w==', 'utf8').toString('base64')) })
  })
})

const rule: MappingRule = {
  sourceDatabase: '.*',
  sourceTable: '.*',
  targetDatabase: 'dw',
  targetTable: 'blobs',
  columnRenames: {},
  excludeColumns: [],
  metadataColumns: {},
  constantColumns: { tag: 'x' },
  needTypes: ['insert', 'update', 'delete'],
  deleteMode: 'hard',
}
const target: TargetTable = {
  database: 'dw',
  table: 'blobs',
  model: 'PRIMARY',
  columns: [
    { name: 'id', dataType: 'bigint', nullable: false, isKey: true },
    { name: 'b', dataType: 'varbinary', nullable: true, isKey: false },
    { name: 'b_text', dataType: 'varchar', nullable: true, isKey: false },
    { name: 'tag', dataType: 'varbinary', nullable: true, isKey: false },
  ],
  keyColumns: ['id'],
}

function rowsOf(event: RowEvent) {
  const result = tableRows([{ partition: 0, offset: '7', event, route: { rule, ruleIndex: 0, database: 'dw', table: 'blobs' } }], target)
  return { result, rows: JSON.parse(result.body.bytes().toString('utf8')) as Record<string, unknown>[] }
}

function maxwellEvent(data: Record<string, unknown>): RowEvent {
  const e = decodeMaxwellMessage({ topic: 'm', key: null, value: Buffer.from(JSON.stringify({ database: 'shop', table: 'blobs', type: 'insert', ts: 1_700_000_000, data, primary_key_columns: ['id'] })) })
  assert.equal(e.kind, 'rows')
  return e as RowEvent
}

describe('tableRows: a decoded Maxwell blob', () => {
  test('the Maxwell decoder says its binary is base64; canal says nothing', () => {
    assert.equal(maxwellEvent({ id: 1 }).binaryRendering, 'base64')
    const canal = decodeCanalMessage(Buffer.from(JSON.stringify({ data: [{ id: '1' }], database: 'shop', table: 'blobs', type: 'INSERT', isDdl: false, es: 1, pkNames: ['id'], mysqlType: { id: 'bigint' } })))
    assert.ok(canal.kind === 'rows' && canal.binaryRendering === undefined)
  })

  test('into VARBINARY its base64 is the from_base64() input; into a string column it stays as sent; constants keep their UTF-8', () => {
    const { result, rows } = rowsOf(maxwellEvent({ id: 1, b: 'AAEC/w==', b_text: 'AAEC/w==' }))
    assert.deepEqual(rows, [{ id: '1', __k2s_b64_b: 'AAEC/w==', b_text: 'AAEC/w==', __k2s_b64_tag: Buffer.from('x').toString('base64'), __op: 0 }])
    assert.equal(result.columns, '`id`,`__k2s_b64_b`,`b_text`,`__k2s_b64_tag`,`__op`,`b`=from_base64(`__k2s_b64_b`),`tag`=from_base64(`__k2s_b64_tag`)')
    assert.deepEqual(result.refused, [])
  })

  test('a value that is not base64 quarantines its row, with the column, the reason and the code', () => {
    const { result, rows } = rowsOf(maxwellEvent({ id: 2, b: 'not base64', b_text: 'x' }))
    assert.deepEqual(rows, [])
    assert.equal(result.upserts, 0)
    assert.equal(result.refused.length, 1)
    const [r] = result.refused
    assert.deepEqual([r!.offset, r!.column, r!.code, r!.params], ['7', 'b', 'quarantine.notBase64', { value: 'not base64', column: 'b' }])
    assert.equal(r!.reason, 'the Maxwell value is not base64 (how Maxwell sends binary values), so it cannot go into VARBINARY: not base64')
  })

  test('canal binary into the same table still goes as its ISO-8859-1 bytes', () => {
    const latin1 = Buffer.from('0001 02ff'.replace(' ', ''), 'hex').toString('latin1')
    const e = decodeCanalMessage(Buffer.from(JSON.stringify({ data: [{ id: '3', b: latin1, b_text: latin1 }], database: 'shop', table: 'blobs', type: 'INSERT', isDdl: false, es: 1, pkNames: ['id'], mysqlType: { id: 'bigint', b: 'blob', b_text: 'blob' } })))
    assert.equal(e.kind, 'rows')
    const { rows } = rowsOf(e as RowEvent)
    assert.deepEqual(rows, [{ id: '3', __k2s_b64_b: 'AAEC/w==', b_text: '000102FF', __k2s_b64_tag: Buffer.from('x').toString('base64'), __op: 0 }])
  })
})
