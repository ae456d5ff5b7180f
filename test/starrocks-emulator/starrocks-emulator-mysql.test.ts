/**
 * The emulator's MySQL query port (§7): authentication, discovery statements, information_schema,
 * StarRocks DDL and reading rows back, through mysql2 as a loader would.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { startStarRocksEmulator, type StarRocksEmulator } from './index.ts';
import { basicAuth, streamLoad, queryError, queryRows } from './test-client.ts';

let emu: StarRocksEmulator;
let conn: Connection;

const rows = (sql: string, params: unknown[] = []) => queryRows(conn, sql, params);
const sqlError = (sql: string) => queryError(conn, sql);

before(async () => {
  emu = await startStarRocksEmulator({ users: { root: '', loader: 's3cret' } });
  conn = await mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'loader', password: 's3cret' });
  await conn.query('CREATE DATABASE IF NOT EXISTS shop');
  await conn.query(`CREATE TABLE shop.orders (
      id BIGINT, shard VARCHAR(32) NOT NULL, amount DECIMAL(12,2) DEFAULT "0", paid BOOLEAN, created DATETIME, note STRING
    ) ENGINE=OLAP PRIMARY KEY(id, shard) COMMENT "orders" DISTRIBUTED BY HASH(id) BUCKETS 4 PROPERTIES ("replication_num" = "1")`);
  await conn.query('CREATE TABLE shop.events (ts DATETIME, kind VARCHAR(8), n INT) DUPLICATE KEY(ts, kind) DISTRIBUTED BY RANDOM');
  await conn.query('CREATE TABLE shop.latest (k INT, v VARCHAR(8)) UNIQUE KEY(k) DISTRIBUTED BY HASH(k)');
  await conn.query('CREATE TABLE shop.totals (k INT, total BIGINT SUM, last_v VARCHAR(8) REPLACE) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)');
});

after(async () => {
  await conn.end();
  await emu.close();
});

test('authentication: mysql_native_password, 1045 on a wrong password, 1049 on an unknown database', async () => {
  await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'loader', password: 'wrong' }), {
    errno: 1045,
    message: "Access denied for user 'loader'@'127.0.0.1' (using password: YES)",
  });
  await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'root', database: 'nope' }), { errno: 1049 });
  const rootConn = await mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'root', database: 'shop' });
  const [tables] = await rootConn.query<RowDataPacket[]>('SHOW TABLES');
  assert.deepEqual(tables.map((r) => r.Tables_in_shop), ['orders', 'events', 'latest', 'totals']);
  await rootConn.end();
});

test('version probes: current_version() and 5.1.0 (§7.1)', async () => {
  assert.deepEqual(await rows('select current_version() as ver;'), [{ ver: '3.3.9-abc1234' }]);
  assert.deepEqual(await rows('select version(), @@version, @@version_comment'), [
    { 'version()': '5.1.0', '@@version': '5.1.0', '@@version_comment': 'StarRocks version 3.3.9-abc1234' },
  ]);
});

test("the variables MySQL Connector/J 8.0 reads at connect from a server that says 5.1.0", async () => {
  // Its NativeSession.loadServerVariables for a server under 5.5 (hence @@language) and 8.0.3.
  const sql =
    'SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, ' +
    '@@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, ' +
    '@@character_set_server AS character_set_server, @@collation_server AS collation_server, @@collation_connection AS collation_connection, ' +
    '@@init_connect AS init_connect, @@interactive_timeout AS interactive_timeout, @@language AS language, @@license AS license, ' +
    '@@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, ' +
    '@@performance_schema AS performance_schema, @@query_cache_size AS query_cache_size, @@query_cache_type AS query_cache_type, ' +
    '@@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, @@tx_isolation AS transaction_isolation, ' +
    '@@wait_timeout AS wait_timeout';
  const [row] = await rows(sql);
  assert.equal(row!.language, '/starrocks/share/english/');
  assert.equal(row!.license, 'Apache License 2.0');
  assert.equal(row!.transaction_isolation, 'REPEATABLE-READ');
  assert.equal(Object.keys(row!).length, 22);
  assert.deepEqual(await sqlError('SELECT @@no_such_variable'), [1193, "Unknown system variable 'no_such_variable'"]);
});

test('information_schema.COLUMNS, Flink sink query, text and prepared (§7.1)', async () => {
  const flink = 'select COLUMN_NAME, ORDINAL_POSITION, COLUMN_KEY, DATA_TYPE, COLUMN_SIZE, DECIMAL_DIGITS from information_schema.COLUMNS where TABLE_SCHEMA=? and TABLE_NAME=?';
  const expected = [
    { COLUMN_NAME: 'id', ORDINAL_POSITION: 1, COLUMN_KEY: 'PRI', DATA_TYPE: 'bigint', COLUMN_SIZE: 19, DECIMAL_DIGITS: 0 },
    { COLUMN_NAME: 'shard', ORDINAL_POSITION: 2, COLUMN_KEY: 'PRI', DATA_TYPE: 'varchar', COLUMN_SIZE: 32, DECIMAL_DIGITS: null },
    { COLUMN_NAME: 'amount', ORDINAL_POSITION: 3, COLUMN_KEY: '', DATA_TYPE: 'decimal', COLUMN_SIZE: 12, DECIMAL_DIGITS: 2 },
    { COLUMN_NAME: 'paid', ORDINAL_POSITION: 4, COLUMN_KEY: '', DATA_TYPE: 'tinyint', COLUMN_SIZE: null, DECIMAL_DIGITS: null },
    { COLUMN_NAME: 'created', ORDINAL_POSITION: 5, COLUMN_KEY: '', DATA_TYPE: 'datetime', COLUMN_SIZE: 19, DECIMAL_DIGITS: null },
    { COLUMN_NAME: 'note', ORDINAL_POSITION: 6, COLUMN_KEY: '', DATA_TYPE: 'varchar', COLUMN_SIZE: 65533, DECIMAL_DIGITS: null },
  ];
  assert.deepEqual(await rows(flink, ['shop', 'orders']), expected);
  const [prepared] = await conn.execute<RowDataPacket[]>(flink, ['shop', 'orders']);
  assert.deepEqual(prepared, expected);
});

test('information_schema.COLUMNS general form with IS_NULLABLE, COLUMN_TYPE, COLUMN_DEFAULT; key labels per model', async () => {
  const sql =
    "SELECT COLUMN_NAME, IS_NULLABLE, COLUMN_TYPE, COLUMN_DEFAULT, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION";
  assert.deepEqual((await rows(sql, ['orders'])).map((r) => Object.values(r)), [
    ['id', 'NO', 'bigint(20)', null, 'PRI'], // PK columns are forced NOT NULL
    ['shard', 'NO', 'varchar(32)', null, 'PRI'],
    ['amount', 'YES', 'decimal(12,2)', '0.00', ''],
    ['paid', 'YES', 'boolean', null, ''],
    ['created', 'YES', 'datetime', null, ''],
    ['note', 'YES', 'varchar(65533)', null, ''],
  ]);
  const keys = async (table: string) => (await rows(sql, [table])).map((r) => r.COLUMN_KEY);
  assert.deepEqual(await keys('events'), ['DUP', 'DUP', '']);
  assert.deepEqual(await keys('latest'), ['UNI', '']);
  assert.deepEqual(await keys('totals'), ['AGG', '', '']);
  assert.deepEqual(await rows(sql, ['missing']), []);
});

test('tables_config, TABLES and SCHEMATA (§7.1)', async () => {
  assert.deepEqual(
    await rows("SELECT TABLE_NAME, TABLE_MODEL, PRIMARY_KEY, DISTRIBUTE_BUCKET FROM information_schema.tables_config WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_NAME"),
    [
      { TABLE_NAME: 'events', TABLE_MODEL: 'DUP_KEYS', PRIMARY_KEY: '', DISTRIBUTE_BUCKET: 0 },
      { TABLE_NAME: 'latest', TABLE_MODEL: 'UNQ_KEYS', PRIMARY_KEY: '`k`', DISTRIBUTE_BUCKET: 0 },
      { TABLE_NAME: 'orders', TABLE_MODEL: 'PRI_KEYS', PRIMARY_KEY: '`id`, `shard`', DISTRIBUTE_BUCKET: 4 },
      { TABLE_NAME: 'totals', TABLE_MODEL: 'AGG_KEYS', PRIMARY_KEY: '', DISTRIBUTE_BUCKET: 0 },
    ],
  );
  assert.deepEqual(await rows('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA=? and TABLE_NAME=?', ['shop', 'orders']), [{ TABLE_NAME: 'orders' }]);
  assert.deepEqual(await rows("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = 'shop'"), [{ SCHEMA_NAME: 'shop' }]);
});

test('DDL errors: existing database, key prefix, float keys, unknown table (§7.2)', async () => {
  assert.deepEqual(await sqlError('CREATE DATABASE shop'), [1007, "Can't create database 'shop'; database exists"]);
  assert.deepEqual(await sqlError('CREATE TABLE shop.bad (a INT, b INT) PRIMARY KEY(b) DISTRIBUTED BY HASH(b)'), [
    1064,
    'Getting analyzing error. Detail message: Key columns should be a ordered prefix of the schema.',
  ]);
  assert.deepEqual(await sqlError('CREATE TABLE shop.bad (a DOUBLE, b INT) DUPLICATE KEY(a)'), [
    1064,
    'Getting analyzing error. Detail message: Float or double can not used as a key, use decimal instead.',
  ]);
  assert.deepEqual(await sqlError('CREATE TABLE shop.orders (a INT) DUPLICATE KEY(a)'), [1050, "Table 'orders' already exists"]);
  await conn.query('CREATE TABLE shop.tmp (a INT) DUPLICATE KEY(a)');
  await conn.query('DROP TABLE shop.tmp');
  assert.deepEqual(await sqlError('DROP TABLE shop.tmp'), [1051, "Unknown table 'tmp'"]);
  assert.deepEqual(await sqlError('SELECT * FROM shop.tmp'), [1051, "Unknown table 'shop.tmp'"]);
  await emu.execute('DROP TABLE IF EXISTS shop.tmp');
});

test('unsupported statements answer 1064 instead of hanging', async () => {
  const [errno, message] = await sqlError('INSERT INTO shop.orders VALUES (1)');
  assert.equal(errno, 1064);
  assert.match(message, /not supported by the StarRocks emulator/);
  await conn.query('SET NAMES utf8mb4'); // drivers' session setup is accepted
  assert.deepEqual(await rows('SELECT 1 AS one'), [{ one: 1 }]);
});

test('loaded rows read back: SELECT * ORDER BY, count(*), DESC, and rows() rendering', async () => {
  const body = JSON.stringify([
    { id: '2', shard: 'b', amount: '10.5', paid: '1', created: '2024-05-06 07:08:09', note: 'x' },
    { id: '1', shard: 'a', amount: '3', paid: 'false', created: null },
    { id: '1', shard: 'b', amount: '-0.004' },
  ]);
  const load = await streamLoad(emu.feHttpPort, 'shop', 'orders', body, { authorization: basicAuth('loader', 's3cret'), label: 'm1', format: 'json', strip_outer_array: 'true' });
  assert.equal(load.result.Status, 'Success');
  assert.deepEqual(emu.rows('shop', 'orders'), [
    { id: '1', shard: 'a', amount: '3.00', paid: '0', created: null, note: null },
    { id: '1', shard: 'b', amount: '0.00', paid: null, created: null, note: null },
    { id: '2', shard: 'b', amount: '10.50', paid: '1', created: '2024-05-06 07:08:09', note: 'x' },
  ]);
  const ordered = await rows('SELECT id, shard, amount FROM shop.orders ORDER BY id DESC, shard');
  assert.deepEqual(ordered.map((r) => [r.id, r.shard, r.amount]), [[2, 'b', '10.50'], [1, 'a', '3.00'], [1, 'b', '0.00']]);
  assert.deepEqual(await rows('SELECT count(*) FROM shop.orders'), [{ 'count(*)': 3 }]);
  assert.deepEqual(await rows("SELECT note FROM shop.orders WHERE id = 2 AND shard = 'b'"), [{ note: 'x' }]);
  const [dates] = await conn.query<RowDataPacket[]>({ sql: 'SELECT created FROM shop.orders WHERE id = 2', dateStrings: true });
  assert.deepEqual(dates, [{ created: '2024-05-06 07:08:09' }]);
  assert.deepEqual((await rows('DESC shop.orders')).slice(0, 3), [
    { Field: 'id', Type: 'BIGINT', Null: 'NO', Key: 'true', Default: null, Extra: '' },
    { Field: 'shard', Type: 'VARCHAR(32)', Null: 'NO', Key: 'true', Default: null, Extra: '' },
    { Field: 'amount', Type: 'DECIMAL(12,2)', Null: 'YES', Key: 'false', Default: '0.00', Extra: '' },
  ]);
});

test('Unique and Aggregate Key tables replace and fold by key', async () => {
  const auth = basicAuth('loader', 's3cret');
  const headers = { authorization: auth, format: 'json', strip_outer_array: 'true' };
  await streamLoad(emu.feHttpPort, 'shop', 'latest', '[{"k":1,"v":"a"},{"k":1,"v":"b","__op":1}]', { ...headers, label: 'u1' });
  assert.deepEqual(emu.rows('shop', 'latest'), [{ k: '1', v: 'b' }]);
  await streamLoad(emu.feHttpPort, 'shop', 'totals', '[{"k":1,"total":5,"last_v":"a"},{"k":1,"total":7,"last_v":"b"}]', { ...headers, label: 'a1' });
  assert.deepEqual(emu.rows('shop', 'totals'), [{ k: '1', total: '12', last_v: 'b' }]);
});

test('ALTER TABLE with the default alterDelayMs: a job that finishes at once; DESC and rows follow (§7.3)', async () => {
  await conn.query('ALTER TABLE shop.latest ADD COLUMN note VARCHAR(8) DEFAULT "n"');
  let job: RowDataPacket | undefined;
  while (job?.State !== 'FINISHED') {
    [job] = await rows("SHOW ALTER TABLE COLUMN FROM shop WHERE TableName = 'latest' ORDER BY JobId DESC LIMIT 1");
  }
  assert.deepEqual((await rows('DESC shop.latest')).map((r) => r.Field), ['k', 'v', 'note']);
  assert.deepEqual(emu.rows('shop', 'latest'), [{ k: '1', v: 'b', note: 'n' }]);
});
