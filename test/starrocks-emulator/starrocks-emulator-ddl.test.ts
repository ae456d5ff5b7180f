/**
 * The emulator's MySQL-port DDL (reference §7.1–§7.3) through mysql2: SHOW CREATE TABLE, ALTER
 * TABLE ADD/DROP/MODIFY COLUMN as asynchronous jobs in SHOW ALTER TABLE COLUMN, RENAME COLUMN at
 * once, and what loads and
 * information_schema see before and after a job finishes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql, { type Connection, type FieldPacket, type RowDataPacket } from 'mysql2/promise';
import { startStarRocksEmulator, type StarRocksEmulator } from './index.ts';
import { basicAuth, streamLoad, transaction, queryError, queryRows } from './test-client.ts';

let emu: StarRocksEmulator;
let conn: Connection;
const ROOT = basicAuth('root', '');
/** Long enough to look at PENDING/RUNNING, short enough to wait for. */
const ALTER_DELAY_MS = 300;
let labelSeq = 0;

const rows = (sql: string, params: unknown[] = []) => queryRows(conn, sql, params);
const sqlError = (sql: string) => queryError(conn, sql);

/** The Flink connector's poll (§7.1). */
async function lastJob(table: string): Promise<RowDataPacket | undefined> {
  return (await rows(`SHOW ALTER TABLE COLUMN FROM db WHERE TableName = '${table}' ORDER BY JobId DESC LIMIT 1`))[0];
}

/** Polls the table's latest job until it leaves the given states. */
async function waitPast(table: string, states: string[]): Promise<RowDataPacket> {
  for (;;) {
    const job = await lastJob(table);
    if (job && !states.includes(job.State)) return job;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const waitFinished = (table: string) => waitPast(table, ['PENDING', 'RUNNING']);

async function load(table: string, body: unknown[]) {
  const reply = await streamLoad(emu.feHttpPort, 'db', table, JSON.stringify(body), {
    authorization: ROOT,
    label: `ddl${++labelSeq}`,
    format: 'json',
    strip_outer_array: 'true',
  });
  assert.equal(reply.result.Status, 'Success');
}

const columnNames = async (table: string) =>
  (await rows('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', ['db', table])).map(
    (r) => r.COLUMN_NAME,
  );

before(async () => {
  emu = await startStarRocksEmulator({ alterDelayMs: ALTER_DELAY_MS });
  conn = await mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'root' });
  await conn.query('CREATE DATABASE db');
  await conn.query(`CREATE TABLE db.orders (
      id BIGINT, shard VARCHAR(32) NOT NULL, amount DECIMAL(12,2) DEFAULT "0", paid BOOLEAN, created DATETIME, note STRING
    ) ENGINE=OLAP PRIMARY KEY(id, shard) COMMENT "orders" DISTRIBUTED BY HASH(id) BUCKETS 4 PROPERTIES ("replication_num" = "1")`);
  await conn.query(`CREATE TABLE db.example_table (k1 TINYINT, k2 DECIMAL(10, 2) DEFAULT "10.5", v1 CHAR(10) REPLACE, v2 INT SUM)
    ENGINE = olap AGGREGATE KEY(k1, k2) COMMENT "my first starrocks table" DISTRIBUTED BY HASH(k1)`);
  await conn.query('CREATE TABLE db.t (id INT NOT NULL, v VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
  await conn.query('CREATE TABLE db.events (ts DATETIME, kind VARCHAR(8), n INT) DUPLICATE KEY(ts, kind) DISTRIBUTED BY HASH(kind)');
});

after(async () => {
  await conn.end();
  await emu.close();
});

describe('SHOW CREATE TABLE (§7.1)', () => {
  test('two columns Table and Create Table; the doc example renders as in the doc', async () => {
    const [result, fields] = (await conn.query('SHOW CREATE TABLE db.example_table')) as [RowDataPacket[], FieldPacket[]];
    assert.deepEqual(fields.map((f) => f.name), ['Table', 'Create Table']);
    assert.equal(result[0]!.Table, 'example_table');
    assert.equal(
      result[0]!['Create Table'],
      [
        'CREATE TABLE `example_table` (',
        '  `k1` tinyint(4) NULL COMMENT "",',
        '  `k2` decimal64(10, 2) NULL DEFAULT "10.5" COMMENT "",',
        '  `v1` char(10) REPLACE NULL COMMENT "",',
        '  `v2` int(11) SUM NULL COMMENT ""',
        ') ENGINE=OLAP ',
        'AGGREGATE KEY(`k1`, `k2`)',
        'COMMENT "my first starrocks table"',
        'DISTRIBUTED BY HASH(`k1`)',
        'PROPERTIES (',
        '"replication_num" = "3",',
        '"in_memory" = "false",',
        '"enable_persistent_index" = "false",',
        '"replicated_storage" = "true",',
        '"compression" = "LZ4"',
        ');',
      ].join('\n'),
    );
  });

  test('a Primary Key table with buckets, NOT NULL keys and given properties; current database', async () => {
    await conn.query('USE db');
    const [row] = await rows('SHOW CREATE TABLE orders');
    assert.equal(
      row!['Create Table'],
      [
        'CREATE TABLE `orders` (',
        '  `id` bigint(20) NOT NULL COMMENT "",',
        '  `shard` varchar(32) NOT NULL COMMENT "",',
        '  `amount` decimal64(12, 2) NULL DEFAULT "0" COMMENT "",',
        '  `paid` boolean NULL COMMENT "",',
        '  `created` datetime NULL COMMENT "",',
        '  `note` varchar(65533) NULL COMMENT ""',
        ') ENGINE=OLAP ',
        'PRIMARY KEY(`id`, `shard`)',
        'COMMENT "orders"',
        'DISTRIBUTED BY HASH(`id`) BUCKETS 4 ',
        'PROPERTIES (',
        '"replication_num" = "1",',
        '"in_memory" = "false",',
        '"enable_persistent_index" = "true",',
        '"replicated_storage" = "true",',
        '"compression" = "LZ4"',
        ');',
      ].join('\n'),
    );
    assert.deepEqual(await sqlError('SHOW CREATE TABLE db.nosuch'), [1051, "Unknown table 'db.nosuch'"]);
  });
});

describe('ALTER TABLE as asynchronous jobs (§7.3)', () => {
  test('ADD COLUMN: PENDING → RUNNING → FINISHED; schema, DESC and information_schema change only at FINISHED', async () => {
    await load('t', [{ id: 1, v: 'a' }, { id: 2 }]);
    await conn.query('ALTER TABLE db.t ADD COLUMN score INT NOT NULL DEFAULT "7" AFTER id');
    const [pending, fields] = (await conn.query("SHOW ALTER TABLE COLUMN FROM db WHERE TableName = 't'")) as [RowDataPacket[], FieldPacket[]];
    assert.deepEqual(fields.map((f) => f.name), [
      'JobId', 'TableName', 'CreateTime', 'FinishTime', 'IndexName', 'IndexId', 'OriginIndexId', 'SchemaVersion',
      'TransactionId', 'State', 'Msg', 'Progress', 'Timeout',
    ]);
    assert.equal(pending.length, 1);
    const job = pending[0]!;
    assert.deepEqual([job.TableName, job.State, job.FinishTime, job.Msg, job.Timeout], ['t', 'PENDING', null, '', '86400']);
    assert.match(job.JobId, /^\d+$/, 'SHOW columns are strings');
    assert.match(job.CreateTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(await columnNames('t'), ['id', 'v'], 'not visible before FINISHED');

    // A JSON load before the job finished ignores the new key (an extra key).
    await load('t', [{ id: 3, v: 'c', score: 99 }]);
    assert.equal((await waitPast('t', ['PENDING'])).State, 'RUNNING');
    assert.deepEqual(await sqlError('ALTER TABLE db.t ADD COLUMN other INT'), [1064, "Table[t]'s state is not NORMAL. Do not allow doing ALTER ops"]);

    const finished = await waitFinished('t');
    assert.match(finished.FinishTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(await columnNames('t'), ['id', 'score', 'v']);
    assert.deepEqual((await rows('DESC db.t')).map((r) => [r.Field, r.Type, r.Null, r.Key, r.Default]), [
      ['id', 'INT', 'NO', 'true', null],
      ['score', 'INT', 'NO', 'false', '7'],
      ['v', 'VARCHAR(8)', 'YES', 'false', null],
    ]);
    // Existing rows got the DEFAULT; a load after FINISHED picks the new key up.
    await load('t', [{ id: 4, v: 'd', score: 40 }]);
    assert.deepEqual(emu.rows('db', 't'), [
      { id: '1', score: '7', v: 'a' },
      { id: '2', score: '7', v: null },
      { id: '3', score: '7', v: 'c' },
      { id: '4', score: '40', v: 'd' },
    ]);
  });

  test('multi ADD COLUMN (...) and repeated clauses; existing rows get the DEFAULT or NULL; FIRST', async () => {
    await load('events', [{ ts: '2024-01-01 00:00:00', kind: 'old', n: 0 }]);
    await conn.query('ALTER TABLE db.events ADD COLUMN (a INT, b VARCHAR(4) DEFAULT "x")');
    await waitFinished('events');
    await conn.query('ALTER TABLE db.events ADD COLUMN c BIGINT, ADD COLUMN d DATE KEY FIRST');
    await waitFinished('events');
    assert.deepEqual(await columnNames('events'), ['d', 'ts', 'kind', 'n', 'a', 'b', 'c']);
    // A missing JSON key is NULL, not the DEFAULT (§6.2).
    await load('events', [{ ts: '2024-01-02 00:00:00', kind: 'new', n: 1, a: 2, c: 3 }]);
    assert.deepEqual(emu.rows('db', 'events'), [
      { d: null, ts: '2024-01-01 00:00:00', kind: 'old', n: '0', a: null, b: 'x', c: null },
      { d: null, ts: '2024-01-02 00:00:00', kind: 'new', n: '1', a: '2', b: null, c: '3' },
    ]);
    const keys = await rows("SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'db' AND TABLE_NAME = 'events' AND COLUMN_KEY = 'DUP'");
    assert.deepEqual(keys.map((r) => r.COLUMN_NAME), ['d', 'ts', 'kind']);
  });

  test('DROP COLUMN removes a value column from schema and rows when the job finishes', async () => {
    await conn.query('ALTER TABLE db.t DROP COLUMN v');
    assert.equal(emu.rows('db', 't')[0]!.v, 'a', 'still there while the job runs');
    await waitFinished('t');
    assert.deepEqual(await columnNames('t'), ['id', 'score']);
    assert.deepEqual(emu.rows('db', 't')[0], { id: '1', score: '7' });
    const [row] = await rows('SHOW CREATE TABLE db.t');
    assert.match(row!['Create Table'], /^CREATE TABLE `t` \(\n {2}`id` int\(11\) NOT NULL COMMENT "",\n {2}`score` int\(11\) NOT NULL DEFAULT "7" COMMENT ""\n\) ENGINE=OLAP \nPRIMARY KEY\(`id`\)\n/);
  });

  test('the SchemaChangeHandler errors, as 1064 with the FE text', async () => {
    const cases: [string, string][] = [
      ['ALTER TABLE db.t DROP COLUMN id', 'Can not drop key column in primary data model table'],
      ['ALTER TABLE db.t DROP COLUMN nosuch', 'Column does not exists: nosuch'],
      ['ALTER TABLE db.t ADD COLUMN score INT', 'Can not add column which already exists in base table: score'],
      ['ALTER TABLE db.t ADD COLUMN x INT AFTER nosuch', 'Column[nosuch] does not found'],
      ['ALTER TABLE db.t ADD COLUMN k INT KEY', 'Can not add key column: k for primary key table'],
      ['ALTER TABLE db.events ADD COLUMN s INT SUM', 'Can not assign aggregation method on column in Duplicate data model table: s'],
      ['ALTER TABLE db.events ADD COLUMN k2 INT KEY AFTER c', 'Invalid column order. value should be after key. index[events]'],
      ['ALTER TABLE db.events DROP COLUMN kind', 'Distribution column[kind] cannot be dropped. index[events]'],
      ['ALTER TABLE db.example_table ADD COLUMN s INT SUM DEFAULT "1"', "The default value of 's' with SUM aggregation function must be zero"],
      ['ALTER TABLE db.example_table DROP COLUMN k2', 'Can not drop key column when table has value column with REPLACE aggregation method'],
      ['ALTER TABLE db.t ADD COLUMN x INT TO r1', 'Index[r1] does not exist in table[t]'],
    ];
    for (const [sql, message] of cases) assert.deepEqual(await sqlError(sql), [1064, message], sql);
    assert.deepEqual(await sqlError('ALTER TABLE db.nosuch ADD COLUMN x INT'), [1051, "Unknown table 'db.nosuch'"]);
    assert.equal((await lastJob('t'))!.State, 'FINISHED', 'a refused ALTER creates no job');
  });

  test('an Aggregate table: a column without aggregate function becomes a key column', async () => {
    await conn.query('ALTER TABLE db.example_table ADD COLUMN k3 INT, ADD COLUMN v3 BIGINT MAX');
    await waitFinished('example_table');
    const [row] = await rows('SHOW CREATE TABLE db.example_table');
    assert.match(row!['Create Table'], /`k2` decimal64\(10, 2\) NULL DEFAULT "10.5" COMMENT "",\n {2}`k3` int\(11\) NULL COMMENT "",\n {2}`v1`/);
    assert.match(row!['Create Table'], /`v3` bigint\(20\) MAX NULL COMMENT ""\n\) ENGINE=OLAP \nAGGREGATE KEY\(`k1`, `k2`, `k3`\)/);
  });

  test('SHOW ALTER TABLE COLUMN: every job of the database, ordered and limited; current database', async () => {
    const all = await rows('SHOW ALTER TABLE COLUMN FROM db');
    assert.ok(all.length >= 5);
    assert.ok(all.every((j) => j.State === 'FINISHED'));
    const ids = all.map((j) => Number(j.JobId));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    await conn.query('USE db');
    const latest = await rows("SHOW ALTER TABLE COLUMN WHERE TableName = 'events' AND State = 'FINISHED' ORDER BY JobId DESC LIMIT 1");
    assert.deepEqual(latest.map((j) => j.JobId), [String(Math.max(...all.filter((j) => j.TableName === 'events').map((j) => Number(j.JobId))))]);
    assert.deepEqual(await sqlError('SHOW ALTER TABLE COLUMN FROM nosuch'), [1049, "Unknown database 'nosuch'"]);
  });

  test('a transaction loaded before ADD COLUMN finished commits its rows with the DEFAULT', async () => {
    const headers = { authorization: ROOT, db: 'db', table: 't', label: 'ddl-txn' };
    await transaction(emu.feHttpPort, 'begin', headers);
    await transaction(emu.feHttpPort, 'load', { ...headers, format: 'json', strip_outer_array: 'true' }, '[{"id":50,"score":5}]');
    await conn.query('ALTER TABLE db.t ADD COLUMN tag VARCHAR(4) DEFAULT "new"');
    await waitFinished('t');
    assert.equal((await transaction(emu.feHttpPort, 'commit', headers)).result.Status, 'OK');
    assert.deepEqual(emu.rows('db', 't').find((r) => r.id === '50'), { id: '50', score: '5', tag: 'new' });
  });

  test('a dropped table cancels its running job', async () => {
    await conn.query('CREATE TABLE db.gone (id INT) DUPLICATE KEY(id)');
    await conn.query('ALTER TABLE db.gone ADD COLUMN x INT');
    await conn.query('DROP TABLE db.gone');
    const job = await lastJob('gone');
    assert.deepEqual([job!.State, job!.Msg], ['CANCELLED', 'table gone is dropped']);
  });

  test('MODIFY COLUMN: a job; stored values converted at FINISHED; a load during it keeps its rows; no narrowing', async () => {
    await conn.query('CREATE TABLE db.m (id INT NOT NULL, n SMALLINT, s VARCHAR(4), d DATE, x DECIMAL(5,2)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
    await load('m', [{ id: 1, n: 300, s: 'abcd', d: '2024-02-03', x: '123.45' }]);
    await conn.query('ALTER TABLE db.m MODIFY COLUMN n BIGINT, MODIFY COLUMN s VARCHAR(16), MODIFY COLUMN d DATETIME, MODIFY COLUMN x DECIMAL(10,2)');
    assert.equal((await lastJob('m'))!.State, 'PENDING');
    // Loaded while the job runs: a value the old type holds lands, converted when the job ends.
    await load('m', [{ id: 2, n: 7, s: 'ef', d: '2024-02-04', x: '1.50' }]);
    await waitFinished('m');
    assert.deepEqual((await rows('DESC db.m')).map((r) => [r.Field, r.Type]), [
      ['id', 'INT'], ['n', 'BIGINT'], ['s', 'VARCHAR(16)'], ['d', 'DATETIME'], ['x', 'DECIMAL(10,2)'],
    ]);
    await load('m', [{ id: 3, n: '9000000000', s: 'a longer text', d: '2024-02-05 06:07:08', x: '12345678.90' }]);
    assert.deepEqual(emu.rows('db', 'm'), [
      { id: '1', n: '300', s: 'abcd', d: '2024-02-03 00:00:00', x: '123.45' },
      { id: '2', n: '7', s: 'ef', d: '2024-02-04 00:00:00', x: '1.50' },
      { id: '3', n: '9000000000', s: 'a longer text', d: '2024-02-05 06:07:08', x: '12345678.90' },
    ]);
    const cases: [string, string][] = [
      ['ALTER TABLE db.m MODIFY COLUMN n INT', 'Can not change BIGINT to INT'],
      ['ALTER TABLE db.m MODIFY COLUMN s VARCHAR(8)', 'Cannot shorten string length'],
      ['ALTER TABLE db.m MODIFY COLUMN s INT', 'Can not change VARCHAR(16) to INT'],
      ['ALTER TABLE db.m MODIFY COLUMN x DECIMAL(12,4)', 'Can not change DECIMAL(10,2) to DECIMAL(12,4)'],
      ['ALTER TABLE db.m MODIFY COLUMN id BIGINT', 'Can not modify key column: id for primary key table'],
      ['ALTER TABLE db.m MODIFY COLUMN n BIGINT NOT NULL', 'Can not change from nullable to non-nullable'],
      ['ALTER TABLE db.m MODIFY COLUMN nosuch INT', 'Column[nosuch] does not exists'],
    ];
    for (const [sql, message] of cases) assert.deepEqual(await sqlError(sql), [1064, message], sql);
  });

  test('RENAME COLUMN: done when the statement returns, no job; values and in-flight loads follow the column', async () => {
    await conn.query('CREATE TABLE db.r (id INT NOT NULL, a VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
    await load('r', [{ id: 1, a: 'one' }]);
    const jobsBefore = (await rows('SHOW ALTER TABLE COLUMN FROM db')).length;
    const headers = { authorization: ROOT, db: 'db', table: 'r', label: 'rename-txn' };
    await transaction(emu.feHttpPort, 'begin', headers);
    await transaction(emu.feHttpPort, 'load', { ...headers, format: 'json', strip_outer_array: 'true' }, '[{"id":2,"a":"two"}]');
    await conn.query('ALTER TABLE db.r RENAME COLUMN a TO b');
    assert.deepEqual(await columnNames('r'), ['id', 'b']);
    assert.equal((await rows('SHOW ALTER TABLE COLUMN FROM db')).length, jobsBefore, 'no job');
    assert.equal((await transaction(emu.feHttpPort, 'commit', headers)).result.Status, 'OK');
    await load('r', [{ id: 3, b: 'three', a: 'ignored: an extra key' }]);
    assert.deepEqual(emu.rows('db', 'r'), [{ id: '1', b: 'one' }, { id: '2', b: 'two' }, { id: '3', b: 'three' }]);
    assert.deepEqual(await sqlError('ALTER TABLE db.r RENAME COLUMN nosuch TO c'), [1064, 'Column[nosuch] does not exists']);
    assert.deepEqual(await sqlError('ALTER TABLE db.r RENAME COLUMN b TO id'), [1064, 'Column[id] already exists']);
  });
});
