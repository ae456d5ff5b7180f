import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { mappingRuleSchema } from '../../src/instances/config.ts'
import { schemaHolds } from '../../src/instances/schema-holds.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { createSchemaChanges, type SchemaChanges } from '../../src/starrocks/schema-changes.ts'
import { createSchemaCache } from '../../src/starrocks/starrocks-schema.ts'
import { passBarrier, type DdlMessage } from '../../workers/schema-barrier.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * canal sends a DDL in every partition of its topic, so the loaders of several partitions meet
 * the same ALTER at once. Found by the fault matrix (schema-change): one ALTER started, the other
 * was refused with "state is not NORMAL" and its table held for an operator, for a change that
 * had been carried out. The one that comes second waits, plans again, and finds nothing to do.
 */
let emu: StarRocksEmulator
let redis: Redis
let changes: SchemaChanges[] = []

before(async () => {
  emu = await startStarRocksEmulator({ alterDelayMs: 300 })
  await emu.execute('CREATE DATABASE dw')
  await emu.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, note VARCHAR(32)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)')
  redis = new Redis(await testRedisUrl())
})
after(async () => {
  await Promise.all(changes.map((c) => c.close()))
  redis.disconnect()
  await emu.close()
})

test('the same ALTER met by two partitions at once is carried out once, and neither holds the table', async () => {
  const sql = { jdbcUrl: `jdbc:mysql://127.0.0.1:${emu.mysqlPort}`, user: 'root', password: '' }
  const keys = redisKeys(testPrefix('concurrent-ddl'))
  const rule = mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw', schemaChange: 'apply' })
  const ddl: DdlMessage = {
    offset: '7',
    event: { kind: 'skip', reason: 'ddl', database: 'shop', table: 'orders', type: 'ALTER', sql: 'ALTER TABLE orders ADD COLUMN extra VARCHAR(64) NULL' },
    route: { rule, ruleIndex: 0, database: 'dw', table: 'orders' },
  }
  // Two loader processes: a connection and a schema cache each, partitions 0 and 1.
  const barrier = (partition: number) => {
    const own = createSchemaChanges(sql, { pollMs: 20 })
    changes.push(own)
    return passBarrier(
      { job: { instance: 'shop', epoch: 0, topic: 'binlog', partition }, schemas: createSchemaCache(sql), evolution: { holds: schemaHolds(redis, keys), changes: own }, log: undefined },
      'dw',
      'orders',
      ddl,
    )
  }
  const outcomes = await Promise.all([barrier(0), barrier(1)])
  assert.deepEqual(outcomes.map((o) => o.pass).sort(), [true, true], JSON.stringify(outcomes))
  assert.deepEqual(outcomes.map((o) => (o.pass ? o.counter : '')).sort(), ['ddl.applied', 'skipped.ddl'])
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'root' })
  const [columns] = await conn.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'dw' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION")
  await conn.end()
  assert.deepEqual((columns as Array<{ COLUMN_NAME: string }>).map((c) => c.COLUMN_NAME), ['id', 'note', 'extra'])
})
