import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { loadLabel, type LabelParts } from '../../src/starrocks/load-label.ts'

const base: LabelParts = {
  prefix: 'k2s',
  instance: 'erp',
  epoch: 0,
  topic: 'orders',
  partition: 3,
  firstOffset: '1000',
  lastOffset: '1999',
  database: 'dw',
  table: 'orders',
}

const label = (p: Partial<LabelParts> = {}): string => loadLabel({ ...base, ...p })

/** StarRocks' rule for a label: 1-128 characters of letters, digits, "_" and "-". */
function assertValid(l: string): void {
  assert.match(l, /^[-A-Za-z0-9_]+$/, l)
  assert.ok(l.length >= 1 && l.length <= 128, `${l.length} chars: ${l}`)
}

describe('loadLabel', () => {
  test('a plain batch gives a label of its readable parts and a hash of them', () => {
    assert.match(label(), /^k2s-erp-0-orders-3-1000-1999-dw-orders-[0-9a-f]{20}$/)
  })

  test('deterministic: the same parts give the same label (a retry reuses it)', () => {
    const parts: LabelParts = { ...base, topic: 'canal.shop.orders', database: 'dw', table: 'order_all' }
    assert.equal(loadLabel(parts), loadLabel({ ...parts }))
    assert.equal(label({ topic: 'x'.repeat(300) }), label({ topic: 'x'.repeat(300) }))
  })

  test('every part changes the label', () => {
    const seen = new Set([
      label(),
      label({ prefix: 'k2t' }),
      label({ instance: 'erp2' }),
      label({ epoch: 1 }),
      label({ topic: 'orders2' }),
      label({ partition: 4 }),
      label({ firstOffset: '1001' }),
      label({ lastOffset: '2000' }),
      label({ database: 'dw2' }),
      label({ table: 'orders2' }),
    ])
    assert.equal(seen.size, 10)
  })

  test('the epoch (bumped by an E-B/L-B start) changes the label', () => {
    assert.notEqual(label({ epoch: 1 }), label({ epoch: 2 }))
    assert.match(label({ epoch: 1 }), /^k2s-erp-1-orders-3-1000-1999-dw-orders-[0-9a-f]{20}$/)
  })

  test('a topic with "." stays within the alphabet and gets a hashed tail', () => {
    const l = label({ topic: 'canal.shop.orders' })
    assertValid(l)
    assert.match(l, /^k2s-erp-0-canal_shop_orders-3-1000-1999-dw-orders-[0-9a-f]{20}$/)
  })

  test('topics a.b and a_b give different labels', () => {
    const dotted = label({ topic: 'a.b' })
    const underscored = label({ topic: 'a_b' })
    assertValid(dotted)
    assertValid(underscored)
    assert.notEqual(dotted, underscored)
  })

  test('very long names are hashed to at most 128 characters, and stay distinct', () => {
    const long = 'order_items_with_a_really_long_name_'.repeat(5)
    const a = label({ topic: long, database: long, table: long + 'a' })
    const b = label({ topic: long, database: long, table: long + 'b' })
    assertValid(a)
    assertValid(b)
    assert.equal(a.length, 128)
    assert.notEqual(a, b)
    assert.ok(a.startsWith('k2s-erp-0-order_items_with'), a)
  })

  test('long names are cut so the label is exactly 128 characters, hash included', () => {
    const long = label({ topic: 't'.repeat(200) })
    assert.equal(long.length, 128)
    assertValid(long)
    assert.match(long, /^k2s-erp-0-t+-[0-9a-f]{20}$/)
    assert.notEqual(long, label({ topic: 't'.repeat(201) }))
  })

  test('huge offsets and non-ASCII names still give a valid label', () => {
    assertValid(label({ firstOffset: '9223372036854775000', lastOffset: '9223372036854775806' }))
    assertValid(label({ database: '数据', table: 'tāble' }))
    assert.notEqual(label({ table: 'tāble' }), label({ table: 'tæble' }))
  })

  test('parts that contain "-" cannot make two different batches share a label', () => {
    // Instance names and topics may both contain "-". Instance "erp-0" reading topic "orders" and
    // instance "erp" reading topic "0-orders" (both at epoch 0) load into the same StarRocks
    // database, where labels are unique: one batch's label must not be taken by the other, or its
    // rows are refused as "Label Already Exists" and lost.
    const a = label({ instance: 'erp-0', epoch: 0, topic: 'orders' })
    const b = label({ instance: 'erp', epoch: 0, topic: '0-orders' })
    assertValid(a)
    assertValid(b)
    assert.notEqual(a, b)
  })

  test('a DDL segment and a refused-rows load each get their own label, together too; the indexes stay in the hash', () => {
    const plain = label()
    const segment = label({ segment: 'ddl1500' })
    const without = label({ rows: { kind: 'without', indexes: [2, 7] } })
    const both = label({ segment: 'ddl1500', rows: { kind: 'without', indexes: [2, 7] } })
    const row = label({ segment: 'ddl1500', rows: { kind: 'row', indexes: [2] } })
    assert.equal(new Set([plain, segment, without, both, row]).size, 5)
    for (const l of [segment, without, both, row]) assertValid(l)
    assert.match(segment, /^k2s-erp-0-orders-3-1000-1999-dw-orders-ddl1500-[0-9a-f]{20}$/)
    assert.match(without, /^k2s-erp-0-orders-3-1000-1999-dw-orders-x2-[0-9a-f]{20}$/)
    assert.match(both, /^k2s-erp-0-orders-3-1000-1999-dw-orders-ddl1500-x2-[0-9a-f]{20}$/)
    assert.match(row, /^k2s-erp-0-orders-3-1000-1999-dw-orders-ddl1500-q2-[0-9a-f]{20}$/)
    assert.notEqual(both, label({ segment: 'ddl1500', rows: { kind: 'without', indexes: [2, 8] } }))
  })
})
