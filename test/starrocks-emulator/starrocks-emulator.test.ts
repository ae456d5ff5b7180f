/**
 * The StarRocks emulator's HTTP side, seen from a client: FE redirect rules, BE Stream Load
 * results, labels, conversions and filtering (reference: starrocks-stream-load.md §1–§6).
 * Fault switches: starrocks-emulator-faults.test.ts; MySQL port: starrocks-emulator-mysql.test.ts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startStarRocksEmulator, type StarRocksEmulator } from './index.ts';
import { basicAuth, request, streamLoad } from './test-client.ts';

let emu: StarRocksEmulator;
let clock = Date.now();
const ROOT = basicAuth('root', '');
const JSON_ARRAY = { format: 'json', strip_outer_array: 'true' };
const RESULT_KEYS = [
  'TxnId',
  'Label',
  'Status',
  'Message',
  'NumberTotalRows',
  'NumberLoadedRows',
  'NumberFilteredRows',
  'NumberUnselectedRows',
  'LoadBytes',
  'LoadTimeMs',
  'BeginTxnTimeMs',
  'StreamLoadPlanTimeMs',
  'ReadDataTimeMs',
  'WriteDataTimeMs',
  'CommitAndPublishTimeMs',
];
let labelSeq = 0;

/** A JSON-array Stream Load through FE and BE with a fresh label unless one is given. */
async function load(table: string, rows: unknown, headers: Record<string, string> = {}, db = 'db1') {
  const body = typeof rows === 'string' ? rows : JSON.stringify(rows);
  const reply = await streamLoad(emu.feHttpPort, db, table, body, { authorization: ROOT, label: `l${++labelSeq}`, ...JSON_ARRAY, ...headers });
  return reply.result;
}

async function errorLog(result: Record<string, unknown>): Promise<string> {
  const url = new URL(String(result.ErrorURL));
  const reply = await request({ port: Number(url.port), method: 'GET', path: url.pathname + url.search });
  assert.equal(reply.status, 200);
  return reply.text;
}

before(async () => {
  emu = await startStarRocksEmulator({ users: { root: '', alice: 'secret' }, now: () => clock });
  await emu.execute('CREATE DATABASE db1');
  await emu.execute('CREATE DATABASE db2');
  await emu.execute(`CREATE TABLE db1.pk (id BIGINT NOT NULL, name VARCHAR(16), score INT DEFAULT "7")
    PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ("replication_num" = "1")`);
  await emu.execute('CREATE TABLE db1.dup (id BIGINT NOT NULL, name VARCHAR(16)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)');
  await emu.execute('CREATE TABLE db2.pk (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
  await emu.execute(`CREATE TABLE db1.types (
      id INT NOT NULL, ti TINYINT, si SMALLINT, bi BIGINT, li LARGEINT, f FLOAT, d DOUBLE, b BOOLEAN,
      amount DECIMAL(10,2), c CHAR(3), vc VARCHAR(5), s STRING, dt DATE, dtm DATETIME, j JSON
    ) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
  await emu.execute('CREATE TABLE db1.nn (id INT NOT NULL, v INT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)');
});

after(() => emu.close());

describe('FE port', () => {
  test('401 with WWW-Authenticate and lower-case JSON when auth is missing or wrong (§1.4)', async () => {
    const path = '/api/db1/pk/_stream_load';
    const none = await request({ port: emu.feHttpPort, path, body: '[]' });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm=""');
    assert.equal(none.text, '{"status":"FAILED","code":"1","msg":"Need auth information.","message":"Need auth information."}');
    const wrong = await request({ port: emu.feHttpPort, path, headers: { authorization: basicAuth('alice', 'nope') }, body: '[]' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.text), {
      status: 'FAILED',
      code: '1',
      msg: 'Access denied for alice@127.0.0.1',
      message: 'Access denied for alice@127.0.0.1',
    });
    assert.equal(wrong.continued, false);
  });

  test('without Expect: 100-continue the FE answers 200 FAILED, not a redirect (§1.1)', async () => {
    const reply = await request({ port: emu.feHttpPort, path: '/api/db1/pk/_stream_load', headers: { authorization: ROOT }, body: '[]', expectContinue: false });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.text), {
      Status: 'FAILED',
      Message: 'class com.starrocks.common.DdlException: There is no 100-continue header',
    });
    assert.equal(reply.headers.connection, 'close');
  });

  test('HTTP/1.0 requests are exempt from the Expect check', async () => {
    const socket = net.connect(emu.feHttpPort, '127.0.0.1');
    socket.write(`PUT /api/db1/pk/_stream_load HTTP/1.0\r\nAuthorization: ${ROOT}\r\nContent-Length: 2\r\n\r\n`);
    const head = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
    });
    assert.match(head, /^HTTP\/1\.1 307 Temporary Redirect\r\n/);
  });

  test('307 to the BE with path and query verbatim, empty body, and the body never requested (§1.2)', async () => {
    const reply = await request({ port: emu.feHttpPort, path: '/api/db1/pk/_stream_load?x=1&y=%20', headers: { authorization: ROOT }, body: '[]' });
    assert.equal(reply.status, 307);
    assert.equal(reply.headers.location, `http://127.0.0.1:${emu.beHttpPort}/api/db1/pk/_stream_load?x=1&y=%20`);
    assert.equal(reply.headers['content-length'], '0');
    assert.equal(reply.headers['content-type'], 'text/html');
    assert.equal(reply.headers.connection, 'close');
    assert.equal(reply.text, '');
    assert.equal(reply.continued, false, 'the FE must not send 100 Continue');
  });

  test('the FE redirects a huge announced body at once: it never waits for the body', async () => {
    const socket = net.connect(emu.feHttpPort, '127.0.0.1');
    socket.write(
      `PUT /api/db1/pk/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: ${ROOT}\r\nExpect: 100-continue\r\nContent-Length: 1000000000\r\n\r\n`,
    );
    const head = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
    socket.destroy();
    assert.match(head, /^HTTP\/1\.1 307 /);
    assert.doesNotMatch(head, /100 Continue/);
  });

  test('unknown db/table still redirect; empty path segments fail on the FE (§1.1, §1.6)', async () => {
    const reply = await request({ port: emu.feHttpPort, path: '/api/nosuchdb/t/_stream_load', headers: { authorization: ROOT }, body: '[]' });
    assert.equal(reply.status, 307);
    const noDb = await request({ port: emu.feHttpPort, path: '/api//t/_stream_load', headers: { authorization: ROOT }, body: '[]' });
    assert.equal(JSON.parse(noDb.text).Message, 'class com.starrocks.common.DdlException: No database selected.');
  });

  test('other methods on the load path and unknown paths are not found', async () => {
    const post = await request({ port: emu.feHttpPort, method: 'POST', path: '/api/db1/pk/_stream_load', headers: { authorization: ROOT }, body: '[]', expectContinue: false });
    assert.equal(post.status, 404);
    assert.deepEqual(JSON.parse(post.text), { status: 'FAILED', msg: 'Not implemented' });
    const unknown = await request({ port: emu.feHttpPort, method: 'GET', path: '/api/nothing/here' });
    assert.equal(unknown.status, 404);
  });
});

describe('BE port: request checks before any transaction (TxnId -1)', () => {
  const bePath = '/api/db1/pk/_stream_load';

  test('the BE re-checks auth: lost Authorization and wrong password (§1.5)', async () => {
    const lost = await request({ port: emu.beHttpPort, path: bePath, headers: { label: 'a1', ...JSON_ARRAY }, body: '[]' });
    assert.equal(lost.status, 200);
    assert.equal(lost.continued, false, 'header errors answer before the body');
    const r1 = JSON.parse(lost.text);
    assert.deepEqual([r1.TxnId, r1.Label, r1.Status, r1.Message], [-1, 'a1', 'Fail', 'no valid Basic authorization']);
    const wrong = JSON.parse((await request({ port: emu.beHttpPort, path: bePath, headers: { authorization: basicAuth('root', 'x'), label: 'a2' }, body: '[]' })).text);
    assert.deepEqual([wrong.TxnId, wrong.Status, wrong.Message], [-1, 'Fail', 'Access denied for root@127.0.0.1']);
  });

  test('unknown database and table (§1.6)', async () => {
    const db = await load('t', [], {}, 'nosuchdb');
    assert.deepEqual([db.TxnId, db.Status, db.Message, db.NumberTotalRows], [-1, 'Fail', 'unknown database, database=nosuchdb', 0]);
    const table = await load('nosuch', []);
    assert.deepEqual([table.TxnId, table.Message], [-1, 'unknown table "db1.nosuch"']);
  });

  test('label format is checked; a missing label becomes a UUID (§3.4)', async () => {
    const bad = await load('pk', [{ id: 1 }], { label: 'bad label!' });
    assert.deepEqual([bad.TxnId, bad.Status, bad.Message], [-1, 'Fail', 'Label format error. regex: ^[-\\w]{1,128}$, label: bad label!']);
    const long = await load('pk', [{ id: 1 }], { label: 'x'.repeat(129) });
    assert.match(String(long.Message), /^Label format error/);
    const reply = await streamLoad(emu.feHttpPort, 'db1', 'dup', '[{"id":99,"name":"uuid"}]', { authorization: ROOT, ...JSON_ARRAY });
    assert.equal(reply.result.Status, 'Success');
    assert.match(String(reply.result.Label), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('format, timeout and the 100 MB JSON check (§2.1, §4.1), answered before the body', async () => {
    assert.equal((await load('pk', [], { format: 'parquet' })).Message, 'unknown data format, format=parquet');
    assert.equal((await load('pk', [], { timeout: 'soon' })).Message, 'Invalid timeout format');
    const big = await request({
      port: emu.beHttpPort,
      path: bePath,
      headers: { authorization: ROOT, label: 'big', format: 'json', 'content-length': '104857601' },
    });
    assert.equal(big.continued, false);
    assert.equal(
      JSON.parse(big.text).Message,
      'The size of this batch exceed the max size [104857600]  of json type data  data [ 104857601 ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming.',
    );
    // ignore_json_size: the headers pass and the BE asks for the body.
    const socket = net.connect(emu.beHttpPort, '127.0.0.1');
    socket.write(
      `PUT ${bePath} HTTP/1.1\r\nHost: x\r\nAuthorization: ${ROOT}\r\nlabel: big2\r\nformat: json\r\nignore_json_size: true\r\nExpect: 100-continue\r\nContent-Length: 104857601\r\n\r\n`,
    );
    const head = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
    socket.destroy();
    assert.equal(head, 'HTTP/1.1 100 Continue\r\n\r\n');
  });

  test('a body shorter than Content-Length: receive body don\'t equal with body bytes', async () => {
    const socket = net.connect(emu.beHttpPort, '127.0.0.1');
    socket.write(`PUT ${bePath} HTTP/1.1\r\nHost: x\r\nAuthorization: ${ROOT}\r\nlabel: short1\r\nformat: json\r\nContent-Length: 50\r\n\r\n[{"id":1}]`);
    setTimeout(() => socket.end(), 50);
    const text = await new Promise<string>((resolve) => {
      let t = '';
      socket.on('data', (d) => (t += d));
      socket.on('close', () => resolve(t));
    });
    const result = JSON.parse(text.slice(text.indexOf('{')));
    assert.equal(result.Status, 'Fail');
    assert.equal(result.Message, "receive body don't equal with body bytes");
    assert.ok(result.TxnId > 0);
  });
});

describe('BE port: results and labels', () => {
  test('the reply is pretty-printed with StarRocks\' key order (§3.1)', async () => {
    const body = JSON.stringify([{ id: 1, name: 'a' }]);
    const reply = await streamLoad(emu.feHttpPort, 'db1', 'pk', body, { authorization: ROOT, label: 'order1', ...JSON_ARRAY });
    assert.deepEqual(Object.keys(reply.result), RESULT_KEYS);
    assert.match(reply.be!.text, /^\{\n {4}"TxnId": \d+,\n {4}"Label": "order1",\n {4}"Status": "Success",\n {4}"Message": "OK",\n/);
    assert.deepEqual(
      [reply.result.NumberTotalRows, reply.result.NumberLoadedRows, reply.result.NumberFilteredRows, reply.result.LoadBytes],
      [1, 1, 0, Buffer.byteLength(body)],
    );
  });

  test('a finished label is refused with FINISHED; ExistingJobStatus right after Status (§3.4)', async () => {
    await load('pk', [{ id: 2 }], { label: 'fin1' });
    const again = await load('pk', [{ id: 3 }], { label: 'fin1' });
    assert.deepEqual(Object.keys(again).slice(0, 5), ['TxnId', 'Label', 'Status', 'ExistingJobStatus', 'Message']);
    assert.deepEqual([again.TxnId, again.Status, again.ExistingJobStatus, again.Message], [-1, 'Label Already Exists', 'FINISHED', 'Label [fin1] has already been used.']);
    assert.equal(again.NumberLoadedRows, 0);
    assert.ok(!emu.rows('db1', 'pk').some((r) => r.id === '3'));
    // Labels are per database.
    assert.equal((await load('pk', [{ id: 3 }], { label: 'fin1' }, 'db2')).Status, 'Success');
  });

  test('an aborted label can be reused; finished labels expire after 3 days (§3.4)', async () => {
    const failed = await load('pk', [{ id: 'x' }], { label: 'retry1', strict_mode: 'true' });
    assert.equal(failed.Message, 'too many filtered rows');
    assert.ok(Number(failed.TxnId) > 0);
    assert.equal((await load('pk', [{ id: 4 }], { label: 'retry1' })).Status, 'Success');
    clock += 259_200_000 + 1;
    assert.equal((await load('pk', [{ id: 5 }], { label: 'retry1' })).Status, 'Success');
  });

  test('get_load_state reports VISIBLE, ABORTED, UNKNOWN and its errors (§3.5)', async () => {
    await load('pk', [{ id: 6 }], { label: 'state-ok' });
    await load('pk', [], { label: 'state-aborted' });
    const state = async (db: string, query: string, auth = ROOT) =>
      request({ port: emu.feHttpPort, method: 'GET', path: `/api/${db}/get_load_state${query}`, headers: { authorization: auth } });
    assert.deepEqual(JSON.parse((await state('db1', '?label=state-ok')).text), { status: 'OK', code: '0', msg: 'Success', message: 'OK', state: 'VISIBLE' });
    assert.equal(JSON.parse((await state('db1', '?label=state-aborted')).text).state, 'ABORTED');
    assert.equal(JSON.parse((await state('db1', '?label=never')).text).state, 'UNKNOWN');
    assert.equal(JSON.parse((await state('db1', '')).text).msg, 'No label selected.');
    const unknownDb = JSON.parse((await state('nosuchdb', '?label=x')).text);
    assert.deepEqual([unknownDb.status, unknownDb.msg], ['FAILED', 'unknown database, database=nosuchdb']);
    assert.equal((await state('db1', '?label=x', basicAuth('root', 'bad'))).status, 401);
  });

  test('an empty load fails with all partitions have no load data (§4.3)', async () => {
    const r = await load('pk', []);
    assert.deepEqual([r.Status, r.Message, r.NumberTotalRows], ['Fail', 'all partitions have no load data', 0]);
    assert.ok(Number(r.TxnId) > 0);
  });
});

describe('BE port: __op (§2.2)', () => {
  test('Primary Key: 0 upsert, 1 delete, missing is 0, rows applied in order', async () => {
    await load('pk', [{ id: 100, name: 'a' }, { id: 101, name: 'b', __op: 0 }, { id: 100, name: 'a2' }, { id: 102, name: 'c' }]);
    await load('pk', [{ id: 101, __op: 1 }, { id: 102, name: 'gone', __op: '1' }, { id: 103, name: 'd', __op: 0 }]);
    const rows = emu.rows('db1', 'pk').filter((r) => Number(r.id) >= 100);
    assert.deepEqual(rows, [
      { id: '100', name: 'a2', score: null },
      { id: '103', name: 'd', score: null },
    ]);
  });

  test('Duplicate Key: __op is ignored, a "delete" row is appended', async () => {
    await load('dup', [{ id: 1, name: 'x' }, { id: 1, name: 'x', __op: 1 }]);
    assert.deepEqual(emu.rows('db1', 'dup').filter((r) => r.id === '1'), [
      { id: '1', name: 'x' },
      { id: '1', name: 'x' },
    ]);
  });

  test('stored rows read back exactly: NULL, empty and control characters, keyed and appended', async () => {
    const names = [null, '', '\u0000', '\u0001', 'a\u0001b', '[x', 'NULL'];
    await load('pk', names.map((name, i) => ({ id: 300 + i, name })));
    await load('dup', names.map((name, i) => ({ id: 300 + i, name })));
    const expected = names.map((name, i) => ({ id: String(300 + i), name }));
    assert.deepEqual(emu.rows('db1', 'pk').filter((r) => Number(r.id) >= 300).map(({ id, name }) => ({ id, name })), expected);
    assert.deepEqual(emu.rows('db1', 'dup').filter((r) => Number(r.id) >= 300), expected);
  });

  test('columns header: __op constant mapping and its errors', async () => {
    await load('pk', [{ id: 200, name: 'z' }]);
    assert.equal((await load('pk', [{ id: 200 }], { columns: "id, __op='delete'" })).Status, 'Success');
    assert.ok(!emu.rows('db1', 'pk').some((r) => r.id === '200'));
    assert.equal((await load('pk', [{ id: 1 }], { columns: "id, __op='remove'" })).Message, 'load op type string not supported: remove');
  });
});

describe('BE port: mapping, conversion and filtering (§6)', () => {
  test('a missing key is NULL, not the DEFAULT; extra keys are ignored; keys are exact names (§6.2)', async () => {
    await load('pk', [{ id: 300, extra: 1, NAME: 'wrong case' }]);
    assert.deepEqual(emu.rows('db1', 'pk').find((r) => r.id === '300'), { id: '300', name: null, score: null });
    // With a columns header, unlisted columns get their default.
    await load('pk', [{ id: 301 }], { columns: 'id' });
    assert.deepEqual(emu.rows('db1', 'pk').find((r) => r.id === '301'), { id: '301', name: null, score: '7' });
  });

  test('every type converts as StarRocks does, non-strict invalid values become NULL (§6.3)', async () => {
    const result = await load('types', [
      {
        id: '1', ti: '-128', si: '32767', bi: '9223372036854775807', li: '170141183460469231731687303715884105727',
        f: '1.1', d: '0.1', b: 'true', amount: '12.345', c: 'abc', vc: 'héll', s: 'x', dt: '2024-02-29',
        dtm: '2024-02-29 23:59:59.5', j: { b: 1, a: [true, null] },
      },
      { id: 2, ti: 12.7, si: '12.7', bi: -5, li: 5, f: 2.5, d: 1e3, b: 0, amount: 7, c: true, s: { k: 'v' }, dt: '20240102', dtm: '2024-01-02T03:04:05', j: 'text' },
      {
        id: 3, ti: 300, si: 'abc', bi: true, li: '1.5', f: 'x', d: [1], b: 'maybe', amount: '123456789.1', c: 'abcd',
        vc: 'héllo', dt: '2024-02-30', dtm: 1700000000, j: null,
      },
    ]);
    assert.equal(result.Status, 'Success');
    // The raw token `1.50` reaches VARCHAR verbatim, which JSON.stringify cannot produce.
    await load('types', '[{"id":4,"vc":1.50}]');
    assert.deepEqual(emu.rows('db1', 'types'), [
      {
        id: '1', ti: '-128', si: '32767', bi: '9223372036854775807', li: '170141183460469231731687303715884105727',
        f: '1.1', d: '0.1', b: '1', amount: '12.35', c: 'abc', vc: 'héll', s: 'x', dt: '2024-02-29',
        dtm: '2024-02-29 23:59:59.500000', j: '{"a": [true, null], "b": 1}',
      },
      { id: '2', ti: '12', si: '12', bi: '-5', li: '5', f: '2.5', d: '1000', b: '0', amount: '7.00', c: '1', vc: null, s: '{"k":"v"}', dt: '2024-01-02', dtm: '2024-01-02 03:04:05', j: '"text"' },
      { id: '3', ti: null, si: null, bi: null, li: null, f: null, d: null, b: null, amount: null, c: null, vc: null, s: null, dt: null, dtm: null, j: null },
      { id: '4', ti: null, si: null, bi: null, li: null, f: null, d: null, b: null, amount: null, c: null, vc: '1.50', s: null, dt: null, dtm: null, j: null },
    ]);
  });

  test('VARBINARY holds bytes: a JSON string is its UTF-8 bytes, from_base64/unhex/to_binary in columns give exact bytes', async () => {
    await emu.execute('CREATE TABLE db1.bin (id BIGINT NOT NULL, b VARBINARY(4), v VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)');
    // Read as VARCHAR then cast: the character U+00F0 is the two bytes C3 B0, not the byte F0.
    assert.equal((await load('bin', [{ id: 1, b: '\u00f0A' }])).Status, 'Success');
    assert.equal((await load('bin', [{ id: 2, tmp: '8AD/', v: 'x' }], { columns: 'id, tmp, v, b = from_base64(tmp)' })).Status, 'Success');
    assert.equal((await load('bin', [{ id: 3, tmp: 'f000ff' }], { columns: 'id, tmp, b = unhex(tmp)' })).Status, 'Success');
    assert.equal((await load('bin', [{ id: 4, tmp: 'AAE=' }], { columns: "id, tmp, b = to_binary(tmp, 'encode64')" })).Status, 'Success');
    // Invalid base64 is NULL, as the function returns; 5 bytes exceed VARBINARY(4) and filter the row.
    assert.equal((await load('bin', [{ id: 5, tmp: '!!' }], { columns: 'id, tmp, b = from_base64(tmp)' })).Status, 'Success');
    const tooLong = await load('bin', [{ id: 6, tmp: 'AQIDBAU=' }], { columns: 'id, tmp, b = from_base64(tmp)', strict_mode: 'true' });
    assert.equal(tooLong.Status, 'Fail');
    assert.match(await errorLog(tooLong), /Value length is beyond the capacity\. column=b, capacity=4\. Row: \{"id":6,"tmp":"AQIDBAU="\}/);
    assert.deepEqual(emu.rows('db1', 'bin').map((r) => [r.id, r.b]), [['1', 'C3B041'], ['2', 'F000FF'], ['3', 'F000FF'], ['4', '0001'], ['5', null]]);
    assert.equal((await load('bin', [{ id: 7, tmp: 'x' }], { columns: 'id, tmp, b = md5(tmp)' })).Message, 'column expression of b is not supported by the StarRocks emulator');
  });

  test('strict mode filters conversion errors; ErrorURL lists them; max_filter_ratio decides (§4.3, §6.3)', async () => {
    const rows = [
      { id: 10, ti: 300 },
      { id: 11, si: 'abc' },
      { id: 12, bi: true },
      { id: 13, b: 'maybe' },
      { id: 14, vc: 'héllo' },
      { id: 15, amount: '123456789.1' },
      { id: 16, dt: '2024-02-30' },
      { id: 17, vc: null },
      { ti: 1 },
    ];
    const failed = await load('types', rows, { strict_mode: 'true' });
    assert.deepEqual(
      [failed.Status, failed.Message, failed.NumberTotalRows, failed.NumberLoadedRows, failed.NumberFilteredRows],
      ['Fail', 'too many filtered rows', 9, 1, 8],
    );
    assert.match(String(failed.ErrorURL), new RegExp(`^http://127\\.0\\.0\\.1:${emu.beHttpPort}/api/_load_error_log\\?file=error_log_[0-9a-f]{16}_[0-9a-f]{16}$`));
    assert.equal(
      await errorLog(failed),
      [
        'Error: Value is overflow. column=ti, value=300. Row: {"id":10,"ti":300}',
        'Error: Unable to cast string value to BIGINT. value=abc, column=si. Row: {"id":11,"si":"abc"}',
        'Error: Unsupported value type. Numeric type is required. column=bi. Row: {"id":12,"bi":true}',
        'Error: Failed to parse string value as boolean. column=b, value=maybe. Row: {"id":13,"b":"maybe"}',
        'Error: Value length is beyond the capacity. column=vc, capacity=5. Row: {"id":14,"vc":"héllo"}',
        "Error: Value '123456789.1' is out of range. The type of 'amount' is DECIMAL(10,2). Row: {\"id\":15,\"amount\":\"123456789.1\"}",
        "Error: Value '2024-02-30' is out of range. The type of 'dt' is DATE. Row: {\"id\":16,\"dt\":\"2024-02-30\"}",
        "Error: NULL value in non-nullable column 'id'. Row: {\"ti\":1}",
        '',
      ].join('\n'),
    );
    assert.ok(!emu.rows('db1', 'types').some((r) => r.id === '17'), 'a failed load applies nothing');
    const tolerated = await load('types', rows, { strict_mode: 'true', max_filter_ratio: '0.9' });
    assert.deepEqual([tolerated.Status, tolerated.NumberLoadedRows, tolerated.NumberFilteredRows], ['Success', 1, 8]);
    assert.ok(tolerated.ErrorURL, 'ErrorURL also on Success when rows were filtered');
    assert.ok(emu.rows('db1', 'types').some((r) => r.id === '17'));
  });

  test('the shapes clients usually send convert and fail like any other (§6.2, §6.3)', async () => {
    // Plain `YYYY-MM-DD HH:MM:SS`, `digits.digits`, short integers and strings without escapes take
    // the emulator's shortcuts; escapes, raw numbers beyond 2^53 and a repeated key do not.
    const body = String.raw`[
      {"id":20,"dtm":"2024-02-29 23:59:59","dt":"2024-02-29 12:00:00","amount":"00012.3","bi":"9007199254740993",
       "si":"+007","ti":"-0","vc":"a\"\u00e9","s":"tab\t\\"},
      {"id":21,"bi":9007199254740993,"li":170141183460469231731687303715884105727,"vc":1.50,"amount":"-0.00",
       "dt":"2024-02-29","dtm":"2024-02-29","id":99}]`;
    assert.equal((await load('types', body)).Status, 'Success');
    const loaded = emu.rows('db1', 'types').filter((r) => r.id === '20' || r.id === '21');
    assert.deepEqual(loaded, [
      {
        id: '20', ti: '0', si: '7', bi: '9007199254740993', li: null, f: null, d: null, b: null, amount: '12.30', c: null,
        vc: 'a"é', s: 'tab\t\\', dt: '2024-02-29', dtm: '2024-02-29 23:59:59', j: null,
      },
      {
        id: '21', ti: null, si: null, bi: '9007199254740993', li: '170141183460469231731687303715884105727', f: null, d: null, b: null,
        amount: '0.00', c: null, vc: '1.50', s: null, dt: '2024-02-29', dtm: '2024-02-29 00:00:00', j: null,
      },
    ]);

    const rejected = String.raw`[{"id":30,"dtm":"2024-02-30 00:00:00"},{"id":31,"dtm":"2024-01-01 24:00:00"},
      {"id":32,"amount":"123456789.00"},{"id":33,"vc":"ééé"},{"id":34,"vc":"ab\u00e9\u00e9"},{"id":35,"ti":"128"},
      {"id":36,"bi":"9223372036854775808"},{"id":37,"dt":"2023-02-29"},{"id":38,"vc":"abcde","amount":"99999999.99"}]`;
    const r = await load('types', rejected, { strict_mode: 'true', max_filter_ratio: '1' });
    assert.deepEqual([r.Status, r.NumberLoadedRows, r.NumberFilteredRows], ['Success', 1, 8]);
    assert.equal(
      await errorLog(r),
      [
        "Error: Value '2024-02-30 00:00:00' is out of range. The type of 'dtm' is DATETIME. Row: {\"id\":30,\"dtm\":\"2024-02-30 00:00:00\"}",
        "Error: Value '2024-01-01 24:00:00' is out of range. The type of 'dtm' is DATETIME. Row: {\"id\":31,\"dtm\":\"2024-01-01 24:00:00\"}",
        "Error: Value '123456789.00' is out of range. The type of 'amount' is DECIMAL(10,2). Row: {\"id\":32,\"amount\":\"123456789.00\"}",
        'Error: Value length is beyond the capacity. column=vc, capacity=5. Row: {"id":33,"vc":"ééé"}',
        'Error: Value length is beyond the capacity. column=vc, capacity=5. Row: {"id":34,"vc":"abéé"}',
        'Error: Value is overflow. column=ti, value=128. Row: {"id":35,"ti":"128"}',
        'Error: Value is overflow. column=bi, value=9223372036854775808. Row: {"id":36,"bi":"9223372036854775808"}',
        "Error: Value '2023-02-29' is out of range. The type of 'dt' is DATE. Row: {\"id\":37,\"dt\":\"2023-02-29\"}",
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      emu.rows('db1', 'types').filter((row) => row.id === '38').map((row) => [row.vc, row.amount]),
      [['abcde', '99999999.99']],
    );
  });

  test('keys in another order, repeated, escaped, unknown or near-misses map like the first row (§6.2)', async () => {
    // Each row's keys are first compared with the previous row's key tokens at the same positions.
    // One body per case: a body the shortcut cannot read is read again the general way.
    const bodies = [
      String.raw`[{"id":40,"vc":"a","si":1},{"id":41,"si":2,"vc":"b"},{"id":42,"vc":"c","si":3,"vc":"x"}]`,
      String.raw`[{"id":43,"vc":"d"},{"i\u0064":44,"vc":"e"},{"i\u0064":45,"vc":"f"},{"id":46,"v\u0063":"g"}]`,
      String.raw`[{"id":47,"vc":"h"},{"id":48,"vcx":"i","vc":"j"},{"id":49,"v":"k","vc":"l"},{"id":50}]`,
      String.raw`[{"id":51,"dt":"2024-01-01"},{"id":52,"dx":"2024-01-02"},{"id":53,"ID":5,"vc":"m"}]`,
      String.raw`[{"id":54,"dt":"2024-01-03"},{"id":58,"d":3}]`,
      String.raw`[{ "id" : 55 , "vc" : "n" },{"vc":"o","id":56,"si":4},{"vc":"p","si":5,"id":57}]`,
    ];
    for (const body of bodies) {
      const r = await load('types', body, { strict_mode: 'true' });
      assert.equal(r.Status, 'Success', body);
    }
    const loaded = emu.rows('db1', 'types').filter((row) => Number(row.id) >= 40 && Number(row.id) < 60);
    assert.deepEqual(
      loaded.map((row) => [row.id, row.vc, row.si, row.dt, row.d]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        ['40', 'a', '1', null, null], ['41', 'b', '2', null, null], ['42', 'c', '3', null, null],
        ['43', 'd', null, null, null], ['44', 'e', null, null, null], ['45', 'f', null, null, null], ['46', 'g', null, null, null],
        ['47', 'h', null, null, null], ['48', 'j', null, null, null], ['49', 'l', null, null, null], ['50', null, null, null, null],
        ['51', null, null, '2024-01-01', null], ['52', null, null, null, null], ['53', 'm', null, null, null],
        ['54', null, null, '2024-01-03', null],
        ['55', 'n', null, null, null], ['56', 'o', '4', null, null], ['57', 'p', '5', null, null], ['58', null, null, null, '3'],
      ],
    );
  });

  test('integer and decimal text already canonical is stored as sent, other forms as StarRocks prints them (§6.3)', async () => {
    await emu.execute('CREATE TABLE db1.canon (id INT NOT NULL, ti TINYINT, bi BIGINT, d2 DECIMAL(10,2), d0 DECIMAL(5,0)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)');
    const accepted = [
      { id: 1, ti: '127', bi: '9223372036854775807', d2: '12345678.90', d0: '99999' },
      { id: 2, ti: '-128', bi: '-9223372036854775808', d2: '-0.01', d0: '-99999' },
      { id: 3, ti: '+5', bi: '007', d2: '+1.50', d0: '+0' },
      { id: 4, ti: '-0', bi: '-007', d2: '-0.00', d0: '-0' },
      { id: 5, ti: '0', bi: '0', d2: '0.5', d0: '0' },
      { id: 6, ti: '05', bi: '123456789012345', d2: '00.10', d0: '12.' },
      { id: 7, ti: 9, bi: -42, d2: '.5', d0: '7' },
      { id: 8, ti: '-5', bi: '1234567890123456', d2: '5.', d0: '007' },
      { id: 9, ti: ' 3 ', bi: '-0', d2: '1.234', d0: '-0.4' },
      { id: 10, ti: '-00', bi: '-9007199254740993', d2: '-00012.30', d0: '1e2' },
    ];
    const ok = await load('canon', accepted, { strict_mode: 'true' });
    assert.deepEqual([ok.Status, ok.NumberLoadedRows], ['Success', 10]);
    assert.deepEqual(
      emu.rows('db1', 'canon').map((r) => [r.id, r.ti, r.bi, r.d2, r.d0]),
      [
        ['1', '127', '9223372036854775807', '12345678.90', '99999'],
        ['2', '-128', '-9223372036854775808', '-0.01', '-99999'],
        ['3', '5', '7', '1.50', '0'],
        ['4', '0', '-7', '0.00', '0'],
        ['5', '0', '0', '0.50', '0'],
        ['6', '5', '123456789012345', '0.10', '12'],
        ['7', '9', '-42', '0.50', '7'],
        ['8', '-5', '1234567890123456', '5.00', '7'],
        ['9', '3', '0', '1.23', '0'],
        ['10', '0', '-9007199254740993', '-12.30', '100'],
      ],
    );
    const rejected = [
      { id: 20, ti: '128' },
      { id: 21, ti: '-129' },
      { id: 22, bi: '9223372036854775808' },
      { id: 23, bi: '-9223372036854775809' },
      { id: 24, ti: '-' },
      { id: 25, ti: '' },
      { id: 26, d2: '123456789.00' },
      { id: 27, d0: '100000' },
      { id: 28, d2: '-' },
      { id: 29, d2: '1.2.3' },
      { id: 30, bi: '12a' },
      { id: 31, ti: '1' },
    ];
    const r = await load('canon', rejected, { strict_mode: 'true', max_filter_ratio: '1' });
    assert.deepEqual([r.Status, r.NumberLoadedRows, r.NumberFilteredRows], ['Success', 1, 11]);
    assert.equal(
      await errorLog(r),
      [
        'Error: Value is overflow. column=ti, value=128. Row: {"id":20,"ti":"128"}',
        'Error: Value is overflow. column=ti, value=-129. Row: {"id":21,"ti":"-129"}',
        'Error: Value is overflow. column=bi, value=9223372036854775808. Row: {"id":22,"bi":"9223372036854775808"}',
        'Error: Value is overflow. column=bi, value=-9223372036854775809. Row: {"id":23,"bi":"-9223372036854775809"}',
        'Error: Unable to cast string value to BIGINT. value=-, column=ti. Row: {"id":24,"ti":"-"}',
        'Error: Unable to cast string value to BIGINT. value=, column=ti. Row: {"id":25,"ti":""}',
        "Error: Value '123456789.00' is out of range. The type of 'd2' is DECIMAL(10,2). Row: {\"id\":26,\"d2\":\"123456789.00\"}",
        "Error: Value '100000' is out of range. The type of 'd0' is DECIMAL(5,0). Row: {\"id\":27,\"d0\":\"100000\"}",
        "Error: Value '-' is out of range. The type of 'd2' is DECIMAL(10,2). Row: {\"id\":28,\"d2\":\"-\"}",
        "Error: Value '1.2.3' is out of range. The type of 'd2' is DECIMAL(10,2). Row: {\"id\":29,\"d2\":\"1.2.3\"}",
        'Error: Unable to cast string value to BIGINT. value=12a, column=bi. Row: {"id":30,"bi":"12a"}',
        '',
      ].join('\n'),
    );
  });

  test('NULL in a NOT NULL column is filtered even without strict mode (§6.2)', async () => {
    const r = await load('nn', [{ id: 1, v: 'x' }, { id: 2, v: 2 }, { id: 3 }, { id: 4, v: 4 }], { max_filter_ratio: '0.4' });
    assert.equal(r.Status, 'Fail');
    assert.equal(r.Message, 'too many filtered rows');
    assert.equal(
      await errorLog(r),
      "Error: NULL value in non-nullable column 'v'. Row: {\"id\":1,\"v\":\"x\"}\nError: NULL value in non-nullable column 'v'. Row: {\"id\":3}\n",
    );
    const ok = await load('nn', [{ id: 1, v: 'x' }, { id: 2, v: 2 }, { id: 3 }, { id: 4, v: 4 }], { max_filter_ratio: '0.5' });
    assert.deepEqual([ok.Status, ok.NumberLoadedRows], ['Success', 2]);
  });

  test('JSON document shapes and their messages (§6.1)', async () => {
    const message = async (body: string, headers: Record<string, string>) => {
      const r = await load('dup', body, { format: 'json', ...headers, max_filter_ratio: '1' });
      return r.ErrorURL ? (await errorLog(r)).trim() : r.Message;
    };
    assert.equal(await message('[{"id":1}]', { strip_outer_array: 'false' }), 'Error: JSON data is an object, strip_outer_array must be set false. Row: [{"id":1}]');
    assert.equal(await message('{"id":1}', { strip_outer_array: 'true' }), 'Error: JSON data is an array, strip_outer_array must be set true. Row: {"id":1}');
    assert.equal(await message('hello', {}), 'Error: illegal json started with h. Row: hello');
    assert.equal(await message('[[1]]', { strip_outer_array: 'true' }), 'Error: nested array is not supported. Row: [1]');
    const stream = await load('dup', '{"id":500}\n{"id":501}', { strip_outer_array: 'false' });
    assert.deepEqual([stream.Status, stream.NumberLoadedRows], ['Success', 2]);
    // A syntax error voids the rows before it in the document; a scalar item is one filtered row.
    assert.equal(await message('[{"id":1},{"id":2,}]', { strip_outer_array: 'true' }), 'Error: Failed to parse json: object key expected at offset 18. Row: [{"id":1},{"id":2,}]');
    const scalar = await load('dup', '[{"id":502},7] [{"id":503}]', { max_filter_ratio: '0.5' });
    assert.deepEqual([scalar.Status, scalar.NumberTotalRows, scalar.NumberLoadedRows], ['Success', 3, 2]);
    assert.equal(await errorLog(scalar), 'Error: JSON value is not an object. Row: 7\n');
  });

  test('jsonpaths feed columns in order; a path through a scalar filters the row (§6.2)', async () => {
    const r = await load('dup', [{ k: { id: 600 }, n: 'p' }, { k: 5, n: 'q' }], { jsonpaths: '["$.k.id","$.n"]', columns: 'id,name', max_filter_ratio: '0.5' });
    assert.deepEqual([r.Status, r.NumberLoadedRows, r.NumberFilteredRows], ['Success', 1, 1]);
    assert.equal(await errorLog(r), 'Error: The JSON element does not have the requested type. Row: {"k":5,"n":"q"}\n');
    assert.deepEqual(emu.rows('db1', 'dup').find((x) => x.id === '600'), { id: '600', name: 'p' });
    assert.equal((await load('dup', [], { jsonpaths: '["k"]' })).Message, 'Invalid json path: k');
  });

  test('plan errors abort inside the transaction (§2.1, §2.3, §4.3)', async () => {
    const bool = await load('pk', [{ id: 1 }], { strict_mode: 'yes' });
    assert.deepEqual([bool.Status, bool.Message], ['Fail', 'Invalid strict mode format. Must be bool type']);
    assert.ok(Number(bool.TxnId) > 0);
    assert.equal((await load('dup', [{ id: 1 }], { partial_update: 'true', columns: 'id' })).Message, 'Only primary key table support partial update');
    assert.equal((await load('pk', [{ id: 1 }], { partial_update: 'true' })).Message, 'key column id not in partial update columns');
    assert.equal((await load('nn', [{ id: 1 }], { columns: 'id' })).Message, 'Column has no default value. column: v');
    assert.equal((await load('pk', [{ id: 1 }], { columns: 'id,id' })).Message, 'Duplicate column: id');
    assert.equal((await load('pk', [{ id: 1 }], { columns: 'id, nope=id' })).Message, 'Mapping column is not in table. column: nope');
    assert.match(String((await load('pk', [{ id: 1 }], { columns: 'id, create' })).Message), /^Syntax error in line 1: /);
  });

  test('partial update writes only the listed columns (§2.3)', async () => {
    await load('pk', [{ id: 700, name: 'full', score: 1 }]);
    await load('pk', [{ id: 700, score: 2 }, { id: 701, score: 3 }], { partial_update: 'true', columns: 'id,score' });
    assert.deepEqual(emu.rows('db1', 'pk').filter((r) => r.id === '700' || r.id === '701'), [
      { id: '700', name: 'full', score: '2' },
      { id: '701', name: null, score: '3' },
    ]);
  });

  test('CSV is the default format: a client that forgets format=json gets filtered rows (§2.1)', async () => {
    const r = await streamLoad(emu.feHttpPort, 'db1', 'dup', '[{"id":1,"name":"x"}]', { authorization: ROOT, label: 'csv-forgot' });
    assert.deepEqual([r.result.Status, r.result.Message, r.result.NumberFilteredRows], ['Fail', 'too many filtered rows', 1]);
    assert.equal(await errorLog(r.result), 'Error: Value count does not match column count. Expect 2, but got 1. Row: [{"id":1,"name":"x"}]\n');
    const csv = await streamLoad(emu.feHttpPort, 'db1', 'dup', '800,a\n801,\\N\n', { authorization: ROOT, label: 'csv-ok', column_separator: ',' });
    assert.equal(csv.result.Status, 'Success');
    assert.deepEqual(emu.rows('db1', 'dup').filter((x) => x.id === '800' || x.id === '801'), [
      { id: '800', name: 'a' },
      { id: '801', name: null },
    ]);
  });
});
