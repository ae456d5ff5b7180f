import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createTableRouter, maxRoutesRemembered } from '../../src/rows/table-mapping.ts'
import type { MappingEnv, MappingRule } from '../../src/instances/config.ts'

function rule(r: Pick<MappingRule, 'sourceDatabase' | 'sourceTable'> & Partial<MappingRule>): MappingRule {
  return {
    targetDatabase: '${db}',
    targetTable: '${table}',
    columnRenames: {},
    excludeColumns: [],
    metadataColumns: {},
    constantColumns: {},
    needTypes: ['insert', 'update', 'delete'],
    deleteMode: 'hard',
    ...r,
  }
}

const env = (...rules: MappingRule[]): MappingEnv => ({ name: 'prod', description: '', rules })

/** The target as "db.table", or null, so assertions read like the user's expectations. */
function target(router: ReturnType<typeof createTableRouter>, db: string, table: string): string | null {
  const route = router(db, table)
  return route ? `${route.database}.${route.table}` : null
}

describe('createTableRouter: patterns are full matches', () => {
  const router = createTableRouter(env(rule({ sourceDatabase: 'shop', sourceTable: 'order_\\d+', targetDatabase: 'dw', targetTable: 'orders' })))

  test('shards of order_\\d+ merge into one target', () => {
    assert.equal(target(router, 'shop', 'order_1'), 'dw.orders')
    assert.equal(target(router, 'shop', 'order_0042'), 'dw.orders')
  })

  test('order_\\d+ does not match order_1x, xorder_1 or order_', () => {
    assert.equal(router('shop', 'order_1x'), null)
    assert.equal(router('shop', 'xorder_1'), null)
    assert.equal(router('shop', 'order_'), null)
  })

  test('database pattern shop does not match shop2 or myshop', () => {
    assert.equal(router('shop2', 'order_1'), null)
    assert.equal(router('myshop', 'order_1'), null)
    assert.equal(router('Shop', 'order_1'), null)
  })

  test('an alternation is matched as a whole (a|b does not match "ab" or "abc")', () => {
    const r = createTableRouter(env(rule({ sourceDatabase: 'shop|crm', sourceTable: 'users|accounts' })))
    assert.equal(target(r, 'shop', 'users'), 'shop.users')
    assert.equal(target(r, 'crm', 'accounts'), 'crm.accounts')
    assert.equal(r('shopx', 'users'), null)
    assert.equal(r('xcrm', 'users'), null)
    assert.equal(r('shop', 'usersaccounts'), null)
    assert.equal(r('shop', 'users_old'), null)
    assert.equal(r('shop', 'old_accounts'), null)
  })
})

describe('createTableRouter: rule order', () => {
  const special = rule({ sourceDatabase: 'shop', sourceTable: 'order_1', targetDatabase: 'dw', targetTable: 'vip_orders' })
  const general = rule({ sourceDatabase: 'shop', sourceTable: 'order_\\d+', targetDatabase: 'dw', targetTable: 'orders' })

  test('the first matching rule wins, in the order the user set', () => {
    const router = createTableRouter(env(special, general))
    const first = router('shop', 'order_1')
    assert.equal(first?.ruleIndex, 0)
    assert.equal(first?.rule, special)
    assert.equal(first?.table, 'vip_orders')
    const second = router('shop', 'order_2')
    assert.equal(second?.ruleIndex, 1)
    assert.equal(second?.rule, general)
    assert.equal(second?.table, 'orders')
  })

  test('swapping the rules swaps the winner', () => {
    const router = createTableRouter(env(general, special))
    assert.deepEqual(router('shop', 'order_1'), { rule: general, ruleIndex: 0, database: 'dw', table: 'orders' })
  })

  test('a later rule is used when the earlier one matches the table but not the database', () => {
    const router = createTableRouter(env(
      rule({ sourceDatabase: 'crm', sourceTable: '.*', targetDatabase: 'crm_dw' }),
      rule({ sourceDatabase: '.*', sourceTable: '.*', targetDatabase: 'ods' }),
    ))
    assert.equal(target(router, 'crm', 'users'), 'crm_dw.users')
    assert.equal(target(router, 'shop', 'users'), 'ods.users')
  })

  test('answers stay the same when asked again (cached), including "no rule"', () => {
    const router = createTableRouter(env(special, general))
    assert.equal(router('shop', 'order_x'), null)
    assert.equal(router('shop', 'order_x'), null)
    assert.equal(router('shop', 'order_1')?.ruleIndex, 0)
    assert.equal(router('shop', 'order_1')?.ruleIndex, 0)
    assert.equal(router('shop', 'order_2')?.ruleIndex, 1)
  })
})

describe('createTableRouter: target templates', () => {
  test('${db} and ${table} are the source names', () => {
    const router = createTableRouter(env(rule({ sourceDatabase: 'shop_\\w+', sourceTable: '.*', targetDatabase: 'ods_${db}', targetTable: '${table}_copy' })))
    assert.equal(target(router, 'shop_eu', 'users'), 'ods_shop_eu.users_copy')
  })

  test('defaults ${db}.${table} keep the source names', () => {
    const router = createTableRouter(env(rule({ sourceDatabase: 'shop', sourceTable: 'users' })))
    assert.equal(target(router, 'shop', 'users'), 'shop.users')
  })

  test('${1}, ${2} are the groups of the table pattern', () => {
    const router = createTableRouter(env(rule({ sourceDatabase: 'shop', sourceTable: '(\\w+?)_(\\d+)', targetDatabase: 'dw', targetTable: '${1}_all_${2}' })))
    assert.equal(target(router, 'shop', 'order_7'), 'dw.order_all_7')
    assert.equal(target(router, 'shop', 'refund_12'), 'dw.refund_all_12')
  })

  test('named groups of the table and of the database patterns', () => {
    const router = createTableRouter(env(rule({
      sourceDatabase: 'shop_(?<region>[a-z]+)',
      sourceTable: '(?<base>[a-z]+)_\\d+',
      targetDatabase: 'dw_${region}',
      targetTable: '${base}_all',
    })))
    assert.equal(target(router, 'shop_eu', 'order_3'), 'dw_eu.order_all')
    assert.equal(target(router, 'shop_us', 'refund_10'), 'dw_us.refund_all')
  })

  test('no rule matches → null', () => {
    const router = createTableRouter(env(rule({ sourceDatabase: 'shop', sourceTable: 'users' })))
    assert.equal(router('shop', 'orders'), null)
    assert.equal(router('crm', 'users'), null)
    assert.equal(createTableRouter(env())('shop', 'users'), null)
  })
})

describe('createTableRouter: a bounded memory of sources', () => {
  test('past maxRoutesRemembered sources the oldest is forgotten and, asked again, routed the same', () => {
    const router = createTableRouter(env(rule({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+)', targetDatabase: 'dw', targetTable: 'orders_${1}' })))
    const first = router('shop', 'order_0')
    for (let i = 1; i <= maxRoutesRemembered; i++) router('shop', `order_${i}`)
    const newest = router('shop', `order_${maxRoutesRemembered}`)
    assert.equal(router('shop', `order_${maxRoutesRemembered}`), newest, 'the newest answer is remembered')
    const again = router('shop', 'order_0')
    assert.notEqual(again, first, 'the oldest answer was forgotten: the router keeps at most maxRoutesRemembered')
    assert.deepEqual(again, first)
    assert.equal(target(router, 'shop', 'order_0'), 'dw.orders_0')
  })
})
