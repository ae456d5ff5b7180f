/**
 * Target table schemas read over StarRocks' MySQL port (src/starrocks-schema.ts), against the
 * emulator: the table model and key columns a loader relies on (`__op` deletes need PRIMARY),
 * null for a missing table, and the cache (hits do not re-query; invalidate and TTL do).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSchemaCache, parseJdbcUrl, type SchemaCache, type StarRocksSql } from '../../src/starrocks/starrocks-schema.ts';
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts';

const DB = 'sdb';
const PASSWORD = 's3cret-Pa55';

let emu: StarRocksEmulator;
const caches: SchemaCache[] = [];

before(async () => {
  emu = await startStarRocksEmulator({ users: { root: '', loader: PASSWORD } });
  await emu.execute(`CREATE DATABASE ${DB}`);
  await emu.execute(
    `CREATE TABLE ${DB}.pk (id BIGINT NOT NULL, k VARCHAR(8) NOT NULL, v VARCHAR(16), n INT) PRIMARY KEY(id, k) DISTRIBUTED BY HASH(id) BUCKETS 1`,
  );
  await emu.execute(`CREATE TABLE ${DB}.dup (id BIGINT NOT NULL, v VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
  await emu.execute(`CREATE TABLE ${DB}.uni (id BIGINT NOT NULL, v VARCHAR(8)) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
  await emu.execute(`CREATE TABLE ${DB}.agg (id BIGINT NOT NULL, total BIGINT SUM) AGGREGATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
});

after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await emu.close();
});

function target(overrides: Partial<StarRocksSql> = {}): StarRocksSql {
  return { jdbcUrl: `jdbc:mysql://127.0.0.1:${emu.mysqlPort}/`, user: 'loader', password: PASSWORD, ...overrides };
}

function cache(overrides: Partial<StarRocksSql> = {}, ttlMs?: number): SchemaCache {
  const c = createSchemaCache(target(overrides), ttlMs);
  caches.push(c);
  return c;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('table schemas', () => {
  test('Primary Key table: model PRIMARY, key columns in order, types, nullability, sizes and scales', async () => {
    const table = await cache().table(DB, 'pk');
    assert.deepEqual(table, {
      database: DB,
      table: 'pk',
      model: 'PRIMARY',
      columns: [
        { name: 'id', dataType: 'bigint', nullable: false, isKey: true, size: 19, scale: 0 },
        { name: 'k', dataType: 'varchar', nullable: false, isKey: true, size: 8, scale: null },
        { name: 'v', dataType: 'varchar', nullable: true, isKey: false, size: 16, scale: null },
        { name: 'n', dataType: 'int', nullable: true, isKey: false, size: 10, scale: 0 },
      ],
      keyColumns: ['id', 'k'],
    });
  });

  test('Duplicate Key table: model DUPLICATE with its sort key', async () => {
    const table = await cache().table(DB, 'dup');
    assert.equal(table?.model, 'DUPLICATE');
    assert.deepEqual(table?.keyColumns, ['id']);
    assert.deepEqual(
      table?.columns.map((c) => [c.name, c.isKey, c.nullable]),
      [
        ['id', true, false],
        ['v', false, true],
      ],
    );
  });

  test('Unique and Aggregate Key tables: their own models (not PRIMARY: no __op deletes)', async () => {
    const c = cache();
    assert.equal((await c.table(DB, 'uni'))?.model, 'UNIQUE');
    assert.equal((await c.table(DB, 'agg'))?.model, 'AGGREGATE');
    assert.deepEqual((await c.table(DB, 'agg'))?.keyColumns, ['id']);
  });

  test('unknown table or database: null', async () => {
    const c = cache();
    assert.equal(await c.table(DB, 'nosuch'), null);
    assert.equal(await c.table('nodb', 'pk'), null);
  });

  test('wrong password: the lookup rejects, without the password in the error', async () => {
    const wrong = 'Wr0ng-pa55w0rd';
    const c = cache({ password: wrong });
    const err = await c.table(DB, 'pk').then(
      () => assert.fail('expected the lookup to fail'),
      (e: unknown) => e as Error,
    );
    assert.match(err.message, /Access denied/);
    for (const text of [String(err), err.message, err.stack ?? '', JSON.stringify(err)]) {
      assert.ok(!text.includes(wrong) && !text.includes(PASSWORD), `password leaked in ${text}`);
    }
  });
});

describe('cache', () => {
  test('a cached table is answered without asking again, until invalidate', async () => {
    await emu.execute(`CREATE TABLE ${DB}.gone (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
    const c = cache();
    const first = await c.table(DB, 'gone');
    assert.equal(first?.model, 'PRIMARY');
    await emu.execute(`DROP TABLE ${DB}.gone`);
    assert.deepEqual(await c.table(DB, 'gone'), first);
    c.invalidate(DB, 'gone');
    assert.equal(await c.table(DB, 'gone'), null);
  });

  test('invalidate affects only that table', async () => {
    await emu.execute(`CREATE TABLE ${DB}.gone2 (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
    const c = cache();
    assert.equal((await c.table(DB, 'gone2'))?.model, 'PRIMARY');
    assert.equal((await c.table(DB, 'dup'))?.model, 'DUPLICATE');
    await emu.execute(`DROP TABLE ${DB}.gone2`);
    c.invalidate(DB, 'dup');
    assert.equal((await c.table(DB, 'gone2'))?.model, 'PRIMARY');
  });

  test('concurrent lookups of one table share the answer', async () => {
    const c = cache();
    const [a, b] = await Promise.all([c.table(DB, 'pk'), c.table(DB, 'pk')]);
    assert.ok(a !== null);
    assert.equal(a, b);
  });

  test('entries expire after ttlMs', async () => {
    await emu.execute(`CREATE TABLE ${DB}.ttl (id BIGINT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
    const c = cache({}, 150);
    assert.equal((await c.table(DB, 'ttl'))?.model, 'DUPLICATE');
    await emu.execute(`DROP TABLE ${DB}.ttl`);
    assert.equal((await c.table(DB, 'ttl'))?.model, 'DUPLICATE');
    await sleep(200);
    assert.equal(await c.table(DB, 'ttl'), null);
  });

  test('a missing table is cached too (no re-query within the TTL), then found once created', async () => {
    const c = cache({}, 150);
    assert.equal(await c.table(DB, 'later'), null);
    await emu.execute(`CREATE TABLE ${DB}.later (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
    assert.equal(await c.table(DB, 'later'), null);
    await sleep(200);
    assert.equal((await c.table(DB, 'later'))?.model, 'PRIMARY');
  });

  test('a failed lookup is not cached: the next call asks again', async () => {
    const c = cache();
    assert.equal((await c.table(DB, 'uni'))?.model, 'UNIQUE'); // a pooled connection that will be cut
    c.invalidate(DB, 'uni');
    emu.faults.inject({ kind: 'down' });
    await sleep(50);
    await assert.rejects(c.table(DB, 'uni'));
    emu.faults.clear();
    await sleep(50);
    assert.equal((await c.table(DB, 'uni'))?.model, 'UNIQUE');
  });
});

describe('parseJdbcUrl', () => {
  test('accepts jdbc:mysql://host:port/ and defaults the port to 9030', () => {
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://h:9030/'), { host: 'h', port: 9030, mysql: {}, ignored: [] });
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://fe.example.com:19030'), { host: 'fe.example.com', port: 19030, mysql: {}, ignored: [] });
    assert.deepEqual(parseJdbcUrl('  jdbc:mysql://10.0.0.5/ '), { host: '10.0.0.5', port: 9030, mysql: {}, ignored: [] });
  });

  test('rejects a URL with a database, or that is not jdbc:mysql', () => {
    assert.throws(() => parseJdbcUrl('jdbc:mysql://h:9030/db'), /remove the database "db"/);
    assert.throws(() => parseJdbcUrl('mysql://h:9030/'), /jdbc:mysql/);
    assert.throws(() => parseJdbcUrl('jdbc:mysql://h:port/'), /jdbc:mysql/);
  });

  test('createSchemaCache refuses a jdbcUrl with a database', () => {
    assert.throws(() => createSchemaCache(target({ jdbcUrl: `jdbc:mysql://127.0.0.1:${emu.mysqlPort}/${DB}` })), /remove the database/);
  });
});
