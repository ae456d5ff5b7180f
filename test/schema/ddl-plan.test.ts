import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mappingRuleSchema, type MappingRuleInput } from '../../src/instances/config.ts'
import { planDdl } from '../../src/schema/ddl-plan.ts'
import { parseMysqlDdl } from '../../src/schema/mysql-ddl.ts'
import type { TargetColumn, TargetTable } from '../../src/starrocks/starrocks-schema.ts'

const column = (name: string, dataType: string, more: Partial<TargetColumn> = {}): TargetColumn => ({ name, dataType, nullable: true, isKey: false, size: null, scale: null, ...more })
const orders: TargetTable = {
  database: 'dw',
  table: 'orders',
  model: 'PRIMARY',
  keyColumns: ['id'],
  columns: [column('id', 'bigint', { isKey: true, nullable: false }), column('note', 'varchar', { size: 1020 }), column('qty', 'int'), column('price', 'decimal', { size: 10, scale: 2 })],
}
const plan = (sql: string, rule: Partial<MappingRuleInput> = {}, target: TargetTable | null = orders) =>
  planDdl({ ddl: parseMysqlDdl(sql), rule: mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw', schemaChange: 'apply', ...rule }), database: 'dw', table: 'orders', target })
const steps = (p: ReturnType<typeof plan>) => (p.kind === 'run' ? p.steps.map((s) => s.sql) : p.kind === 'hold' ? `hold ${p.reason.code}: ${p.reason.message}` : `none: ${p.note}`)

describe('a canal DDL as StarRocks statements for one rule', () => {
  test('ADD, widening MODIFY, DROP, RENAME and TRUNCATE, every name quoted; renames and exclusions of the rule apply', () => {
    assert.deepEqual(steps(plan("ALTER TABLE orders ADD COLUMN coupon varchar(32) NOT NULL DEFAULT 'no\"ne', ADD secret int, MODIFY qty bigint, DROP COLUMN note", { excludeColumns: ['secret'] })), [
      'ALTER TABLE `dw`.`orders` ADD COLUMN `coupon` VARCHAR(128) NULL DEFAULT "no\\"ne"',
      'ALTER TABLE `dw`.`orders` MODIFY COLUMN `qty` BIGINT NULL',
      'ALTER TABLE `dw`.`orders` DROP COLUMN `note`',
    ])
    assert.deepEqual(steps(plan('ALTER TABLE orders RENAME COLUMN remark TO memo', { columnRenames: { remark: 'note' } })), ['ALTER TABLE `dw`.`orders` RENAME COLUMN `note` TO `memo`'])
    assert.deepEqual(steps(plan('ALTER TABLE orders CHANGE note memo varchar(500)')), ['ALTER TABLE `dw`.`orders` RENAME COLUMN `note` TO `memo`', 'ALTER TABLE `dw`.`orders` MODIFY COLUMN `memo` VARCHAR(2000) NULL'])
    assert.deepEqual(steps(plan('TRUNCATE TABLE orders')), ['TRUNCATE TABLE `dw`.`orders`'])
    assert.equal(steps(plan('ALTER TABLE orders ADD INDEX i (qty)')), 'none: dw.orders has the change already')
  })

  test('a merged target (order_\\d+ → orders) is altered once by ADD COLUMN; DROP, RENAME and TRUNCATE of one shard are held', () => {
    const merged = { sourceTable: 'order_\\d+', targetTable: 'orders' }
    assert.deepEqual(steps(plan('ALTER TABLE order_7 ADD COLUMN qty int', merged)), 'none: dw.orders has the change already')
    assert.deepEqual(steps(plan('ALTER TABLE order_7 ADD COLUMN note varchar(10)', merged)), 'none: dw.orders has the change already')
    assert.match(String(steps(plan('ALTER TABLE order_7 DROP COLUMN note', merged))), /^hold schema.ddl-merged: DROP COLUMN note of one source table/)
    assert.match(String(steps(plan('TRUNCATE order_7', merged))), /^hold schema.ddl-merged/)
  })

  test('never guesses: narrowing, key changes, unknown types and clauses are held with the reason', () => {
    assert.equal(steps(plan('ALTER TABLE orders MODIFY qty smallint')), 'hold schema.narrowing: changing qty of dw.orders from INT to SMALLINT is not a widening; K2S does not narrow or convert a column')
    assert.equal(steps(plan('ALTER TABLE orders MODIFY price decimal(12,4)')), 'hold schema.narrowing: changing price of dw.orders from DECIMAL(10,2) to DECIMAL(12,4) is not a widening; K2S does not narrow or convert a column')
    assert.equal(steps(plan('ALTER TABLE orders MODIFY id varchar(20)')), 'hold schema.narrowing: changing id of dw.orders from BIGINT to VARCHAR(80) is not a widening; K2S does not narrow or convert a column')
    assert.equal(steps(plan('ALTER TABLE orders DROP COLUMN id')), 'hold schema.key-change: DROP COLUMN id changes the key of dw.orders')
    assert.equal(steps(plan('ALTER TABLE orders ADD PRIMARY KEY (id, qty)')), 'hold schema.ddl-unsupported: a DDL K2S cannot carry out: ADD PRIMARY KEY changes the key')
    assert.equal(steps(plan('ALTER TABLE orders ADD big decimal(65,30)')), "hold schema.type-unsupported: column big: DECIMAL(65,30) has more digits than StarRocks' DECIMAL(38)")
  })

  test('CREATE TABLE: only with auto-create; a Primary Key table keyed like the source, metadata and constant columns included', () => {
    const sql = 'CREATE TABLE orders (`b` int, `id` bigint unsigned NOT NULL, `k2` varchar(8) NOT NULL, PRIMARY KEY (`k2`, `id`))'
    assert.equal(steps(plan(sql, {}, null)), 'none: auto-create is off for dw.orders')
    assert.deepEqual(steps(plan(sql, { autoCreate: true, metadataColumns: { _at: 'binlogTime' }, constantColumns: { region: 'cn' } }, null)), [
      'CREATE DATABASE IF NOT EXISTS `dw`',
      'CREATE TABLE IF NOT EXISTS `dw`.`orders` (`k2` VARCHAR(32) NOT NULL, `id` LARGEINT NOT NULL, `b` INT NULL, `_at` DATETIME NULL, `region` VARCHAR(4096) NULL) PRIMARY KEY(`k2`, `id`) DISTRIBUTED BY HASH(`k2`, `id`)',
    ])
    assert.deepEqual(steps(plan('CREATE TABLE t (a int, b text)', { autoCreate: true }, null)), [
      'CREATE DATABASE IF NOT EXISTS `dw`',
      'CREATE TABLE IF NOT EXISTS `dw`.`orders` (`a` INT NULL, `b` VARCHAR(262140) NULL) DUPLICATE KEY(`a`) DISTRIBUTED BY RANDOM',
    ])
    assert.equal(steps(plan(sql, {}, orders)), 'none: dw.orders exists already')
  })
})
