import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeCanalMessage } from '../../src/formats/canal/canal-message.ts'
import { canalScanner } from '../../src/formats/canal/canal-scan.ts'
import { mappingRuleSchema } from '../../src/instances/config.ts'
import { tableRowsBuilder } from '../../src/rows/row-changes.ts'
import type { RouteTarget } from '../../src/rows/table-mapping.ts'
import type { TargetTable } from '../../src/starrocks/starrocks-schema.ts'
import { canal } from '../harness/canal-fixtures.ts'

/** Schema drift is counted alike by the canal fast path and the row builder, exclusions aside. */
const target: TargetTable = {
  database: 'dw',
  table: 'orders',
  model: 'PRIMARY',
  keyColumns: ['id'],
  columns: [{ name: 'id', dataType: 'bigint', nullable: false, isKey: true }, { name: 'Note', dataType: 'varchar', nullable: true, isKey: false }],
}
const route: RouteTarget = { rule: mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', excludeColumns: ['secret'] }), ruleIndex: 0, database: 'dw', table: 'orders' }

const messages = [
  canal('INSERT', 'shop', 'orders', [{ id: '1', note: 'a' }, { id: '2', note: 'b' }]),
  canal('INSERT', 'shop', 'orders', [{ id: '3', note: 'c', coupon: 'X', secret: 's' }, { id: '4', note: 'd', coupon: null, secret: 's' }, { id: '5', note: 'e', coupon: 'Y', secret: 's' }]),
  canal('UPDATE', 'shop', 'orders', [{ id: '3', note: 'c2', coupon: 'X', 列: '1' }], { old: [{ note: 'c' }] }),
  canal('DELETE', 'shop', 'orders', [{ id: '1', note: 'a', secret: 's' }]),
].map((m) => Buffer.from(m))

describe('schema drift', () => {
  test('rows carrying columns the target lacks are counted with the columns, by both row paths alike; excluded columns are not drift', () => {
    const fast = tableRowsBuilder(target)
    const scan = canalScanner()
    let taken = 0
    for (const [i, value] of messages.entries()) {
      const scanned = scan(value)
      if (scanned && fast.addScanned(scanned, 0, String(i), route)) taken++
      else fast.add({ partition: 0, offset: String(i), event: decodeCanalMessage(value) as never, route })
    }
    const slow = tableRowsBuilder(target)
    for (const [i, value] of messages.entries()) slow.add({ partition: 0, offset: String(i), event: decodeCanalMessage(value) as never, route })
    assert.ok(taken >= 3, `the fast path took ${taken} of 4 messages`)
    for (const built of [fast, slow]) {
      assert.equal(built.result.driftRows, 4)
      assert.deepEqual([...built.result.driftColumns].sort(), ['coupon', '列'])
    }
    assert.equal(fast.result.body.bytes().toString(), slow.result.body.bytes().toString())
  })
})
