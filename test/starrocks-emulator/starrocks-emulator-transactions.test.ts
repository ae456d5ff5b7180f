/**
 * The emulator's Transaction Stream Load API (reference §5), seen from a client over node:http:
 * FE routing (§5.2), BE replies with Thrift status names and key orders (§5.3), the state machine
 * and its timeouts (§5.4), the shared label registry and the fault switches at commit.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { startStarRocksEmulator, type StarRocksEmulator } from './index.ts';
import { basicAuth, request, streamLoad, transaction } from './test-client.ts';

let emu: StarRocksEmulator;
let clock = Date.now();
const ROOT = basicAuth('root', '');
const JSON_ARRAY = { format: 'json', strip_outer_array: 'true' };
let labelSeq = 0;

/** Headers of a transaction on db.t with a fresh label unless one is given. */
function txnHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: ROOT, db: 'db', table: 't', label: `tx${++labelSeq}`, ...extra };
}

async function op(name: string, headers: Record<string, string>, rows?: unknown) {
  const body = rows === undefined ? undefined : typeof rows === 'string' ? rows : JSON.stringify(rows);
  return (await transaction(emu.feHttpPort, name, headers, body)).result;
}

/** A direct request to the BE (a client that skips the FE). */
async function be(name: string, headers: Record<string, string>, method = 'POST') {
  const reply = await request({ port: emu.beHttpPort, method, path: `/api/transaction/${name}`, headers, expectContinue: false });
  return JSON.parse(reply.text) as Record<string, unknown>;
}

async function loadState(label: string): Promise<string> {
  const reply = await request({ port: emu.feHttpPort, method: 'GET', path: `/api/db/get_load_state?label=${label}`, headers: { authorization: ROOT } });
  return String(JSON.parse(reply.text).state);
}

const ids = () => emu.rows('db', 't').map((r) => r.id);

before(async () => {
  emu = await startStarRocksEmulator({ now: () => clock });
  await emu.execute('CREATE DATABASE db');
  await emu.execute('CREATE DATABASE other');
  await emu.execute('CREATE TABLE db.t (id INT NOT NULL, v VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
  await emu.execute('CREATE TABLE db.u (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
});

afterEach(() => emu.faults.clear());
after(() => emu.close());

describe('FE routing (§5.2)', () => {
  test("the SDK's label-less begin probe gets JSON that is not Not implemented (§5.5)", async () => {
    const probe = await request({ port: emu.feHttpPort, method: 'POST', path: '/api/transaction/begin', headers: { authorization: ROOT }, expectContinue: false });
    assert.equal(probe.status, 200);
    assert.deepEqual(JSON.parse(probe.text), { Status: 'FAILED', Message: 'class com.starrocks.common.UserException: No database selected.' });
    const get = await request({ port: emu.feHttpPort, method: 'GET', path: '/api/transaction/begin', headers: { authorization: ROOT } });
    assert.deepEqual([get.status, JSON.parse(get.text)], [404, { status: 'FAILED', msg: 'Not implemented' }]);
  });

  test('401 as §1.4 when auth is missing or wrong', async () => {
    const none = await transaction(emu.feHttpPort, 'begin', { db: 'db', label: 'a' });
    assert.equal(none.fe.status, 401);
    assert.equal(none.fe.headers['www-authenticate'], 'Basic realm=""');
    assert.deepEqual(none.result, { status: 'FAILED', code: '1', msg: 'Need auth information.', message: 'Need auth information.' });
    const wrong = await transaction(emu.feHttpPort, 'commit', { authorization: basicAuth('root', 'x'), db: 'db', label: 'a' });
    assert.deepEqual([wrong.fe.status, wrong.result.msg], [401, 'Access denied for root@127.0.0.1']);
  });

  test('header and op errors: empty label, unknown op, forgotten label', async () => {
    const failed = (message: string) => ({ Status: 'FAILED', Message: `class com.starrocks.common.UserException: ${message}` });
    assert.deepEqual(await op('begin', { authorization: ROOT, db: 'db' }), failed('empty label.'));
    assert.deepEqual(await op('explode', txnHeaders()), failed('Unknown transaction operation: explode'));
    // Begun straight on the BE: the FE never remembered a node for the label.
    const headers = txnHeaders();
    assert.equal((await be('begin', headers)).Status, 'OK');
    assert.deepEqual(await op('load', headers, [{ id: 1 }]), failed(`transaction with op load label ${headers.label} has no node`));
    assert.deepEqual(await op('prepare', headers), failed(`transaction with op prepare label ${headers.label} has no node`));
    assert.equal((await be('rollback', headers)).Status, 'OK');
  });

  test('begin and load are 307s to the BE; the FE never asks for the body', async () => {
    const headers = txnHeaders();
    const begin = await transaction(emu.feHttpPort, 'begin', headers);
    assert.equal(begin.fe.status, 307);
    assert.equal(begin.fe.headers.location, `http://127.0.0.1:${emu.beHttpPort}/api/transaction/begin`);
    assert.deepEqual([begin.fe.headers.connection, begin.fe.text], ['close', '']);
    const load = await transaction(emu.feHttpPort, 'load', { ...headers, ...JSON_ARRAY }, '[{"id":1}]');
    assert.equal(load.fe.status, 307);
    assert.equal(load.fe.continued, false, 'the FE must not send 100 Continue');
    assert.equal(load.be!.continued, true);
    assert.equal((await op('rollback', headers)).Status, 'OK');
  });
});

describe('a transaction from begin to VISIBLE (§5.3, §5.4)', () => {
  test('begin → load × 2 → prepare → commit on the FE: rows visible only at commit', async () => {
    const headers = txnHeaders();
    const label = headers.label!;
    const begin = await transaction(emu.feHttpPort, 'begin', headers);
    const txnId = begin.result.TxnId as number;
    assert.match(begin.be!.text, new RegExp(`^\\{\\n {4}"Status": "OK",\\n {4}"Message": "",\\n {4}"Label": "${label}",\\n {4}"TxnId": ${txnId},\\n {4}"BeginTxnTimeMs": 0\\n\\}$`));
    assert.equal(await loadState(label), 'PREPARE');

    const bodies = ['[{"id":1,"v":"a"},{"id":2,"v":"b"}]', '[{"id":3,"v":"c"}]'];
    const first = await op('load', { ...headers, ...JSON_ARRAY }, bodies[0]);
    assert.deepEqual(Object.keys(first), ['Status', 'Message', 'Label', 'TxnId', 'LoadBytes', 'StreamLoadPlanTimeMs', 'ReceivedDataTimeMs']);
    assert.deepEqual([first.Status, first.TxnId, first.LoadBytes], ['OK', txnId, bodies[0]!.length]);
    assert.equal((await op('load', { ...headers, ...JSON_ARRAY }, bodies[1])).LoadBytes, bodies[1]!.length, 'this request only');
    assert.deepEqual(ids(), [], 'nothing is visible before the commit');

    const prepare = await op('prepare', headers);
    assert.deepEqual(Object.keys(prepare), [
      'Status', 'Message', 'Label', 'TxnId', 'NumberTotalRows', 'NumberLoadedRows', 'NumberFilteredRows', 'NumberUnselectedRows',
      'LoadBytes', 'LoadTimeMs', 'StreamLoadPlanTimeMs', 'ReceivedDataTimeMs', 'WriteDataTimeMs', 'CommitAndPublishTimeMs',
    ]);
    assert.deepEqual([prepare.Status, prepare.NumberTotalRows, prepare.NumberLoadedRows, prepare.LoadBytes], ['OK', 3, 3, bodies.join('').length]);
    assert.equal(await loadState(label), 'PREPARED');
    assert.deepEqual(ids(), []);
    // After prepare the BE forgot the transaction: further loads fail.
    assert.deepEqual(await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 4 }]), {
      Status: 'TXN_NOT_EXISTS',
      Message: `Transaction with label ${label} not exists`,
    });

    const commit = await transaction(emu.feHttpPort, 'commit', headers);
    assert.equal(commit.fe.status, 200, 'a PREPARED label is committed by the FE itself');
    assert.deepEqual(commit.result, { Status: 'OK', Message: '', Label: label });
    assert.deepEqual(ids(), ['1', '2', '3']);
    assert.equal(await loadState(label), 'VISIBLE');
  });

  test('commit while PREPARE prepares and commits in one step on the BE', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, format: 'csv', column_separator: ',' }, '10,x\n11,y\n');
    const commit = await transaction(emu.feHttpPort, 'commit', headers);
    assert.equal(commit.fe.status, 307);
    assert.deepEqual([commit.result.Status, commit.result.NumberLoadedRows, commit.result.Label], ['OK', 2, headers.label]);
    assert.equal(await loadState(headers.label!), 'VISIBLE');
    assert.ok(ids().includes('10') && ids().includes('11'));
  });

  test('commit and rollback of finished labels are answered by the FE with the §5.2 messages', async () => {
    const committed = txnHeaders();
    await op('begin', committed);
    await op('load', { ...committed, ...JSON_ARRAY }, [{ id: 20 }]);
    const txnId = (await op('commit', committed)).TxnId;
    assert.deepEqual(await op('commit', committed), { Status: 'OK', Message: `label ${committed.label} transaction ${txnId} has already committed`, Label: committed.label });
    assert.deepEqual(await op('rollback', committed), {
      Status: 'FAILED',
      Message: `class com.starrocks.common.UserException: cannot abort committed transaction ${txnId}, label ${committed.label} `,
    });

    const aborted = txnHeaders();
    const abortedId = (await op('begin', aborted)).TxnId;
    assert.deepEqual(await op('rollback', aborted), { Status: 'OK', Message: '', Label: aborted.label });
    assert.equal(await loadState(aborted.label!), 'ABORTED');
    assert.deepEqual(await op('rollback', aborted), { Status: 'OK', Message: `label ${aborted.label} transaction ${abortedId} has already aborted`, Label: aborted.label });
    assert.deepEqual(await op('commit', aborted), {
      Status: 'FAILED',
      Message: `class com.starrocks.common.UserException: cannot commit aborted transaction ${abortedId}, label ${aborted.label} `,
    });
    assert.deepEqual(await op('commit', { ...aborted, db: 'nosuch' }), { Status: 'FAILED', Message: 'class com.starrocks.common.UserException: database nosuch not exists' });
  });

  test('rollback of a PREPARED transaction on the FE; an ABORTED label is reusable', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 30 }]);
    await op('prepare', headers);
    assert.deepEqual(await op('rollback', headers), { Status: 'OK', Message: '', Label: headers.label });
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.ok(!ids().includes('30'));
    assert.equal((await op('begin', headers)).Status, 'OK');
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 30 }]);
    assert.equal((await op('commit', headers)).Status, 'OK');
    assert.ok(ids().includes('30'));
  });
});

describe('labels are shared with Stream Load (§3.4)', () => {
  test('begin with a used label: LABEL_ALREADY_EXISTS from the FE check, or empty when live on the BE', async () => {
    await streamLoad(emu.feHttpPort, 'db', 't', '[{"id":40}]', { authorization: ROOT, label: 'plain1', ...JSON_ARRAY });
    const finished = await op('begin', txnHeaders({ label: 'plain1' }));
    assert.deepEqual(finished, { Status: 'LABEL_ALREADY_EXISTS', ExistingJobStatus: 'FINISHED', Message: 'Label [plain1] has already been used.' });

    const headers = txnHeaders();
    await op('begin', headers);
    assert.deepEqual(await op('begin', headers), { Status: 'LABEL_ALREADY_EXISTS', ExistingJobStatus: '', Message: '' });
    const plain = await streamLoad(emu.feHttpPort, 'db', 't', '[{"id":41}]', { authorization: ROOT, label: headers.label!, ...JSON_ARRAY });
    assert.deepEqual([plain.result.Status, plain.result.ExistingJobStatus], ['Label Already Exists', 'RUNNING']);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 41 }]);
    await op('prepare', headers);
    // Prepared: the BE has forgotten it, the FE still holds the label.
    assert.deepEqual(await op('begin', headers), { Status: 'LABEL_ALREADY_EXISTS', ExistingJobStatus: 'RUNNING', Message: `Label [${headers.label}] has already been used.` });
    assert.equal((await op('commit', headers)).Status, 'OK');
  });
});

describe('BE errors (§5.3)', () => {
  test('begin: auth (straight to the BE), database, table, label format, timeout format', async () => {
    assert.deepEqual(await be('begin', { db: 'db', table: 't', label: 'b1' }), { Status: 'INTERNAL_ERROR', Message: 'no valid Basic authorization' });
    assert.deepEqual(await be('begin', txnHeaders({ authorization: basicAuth('root', 'x') })), { Status: 'ANALYSIS_ERROR', Message: 'Access denied for root@127.0.0.1' });
    assert.deepEqual(await op('begin', txnHeaders({ db: 'nosuch' })), { Status: 'ANALYSIS_ERROR', Message: 'unknown database, database=nosuch' });
    assert.deepEqual(await op('begin', txnHeaders({ table: 'nosuch' })), { Status: 'ANALYSIS_ERROR', Message: 'unknown table "db.nosuch"' });
    assert.deepEqual(await op('begin', txnHeaders({ label: 'bad label' })), { Status: 'ANALYSIS_ERROR', Message: 'Label format error. regex: ^[-\\w]{1,128}$, label: bad label' });
    assert.deepEqual(await op('begin', txnHeaders({ timeout: 'soon' })), { Status: 'INVALID_ARGUMENT', Message: 'Invalid timeout format' });
  });

  test('load: label, unknown transaction, db/table mismatch, changed parameters', async () => {
    const put = async (headers: Record<string, string>) => {
      const reply = await request({ port: emu.beHttpPort, path: '/api/transaction/load', headers, body: '[{"id":1}]' });
      assert.equal(reply.continued, false, 'header errors answer before the body');
      return JSON.parse(reply.text) as Record<string, unknown>;
    };
    assert.deepEqual(await put({ authorization: ROOT, db: 'db', table: 't' }), { Status: 'INVALID_ARGUMENT', Message: 'Invalid label ' });
    assert.deepEqual(await put(txnHeaders({ label: 'never' })), { Status: 'TXN_NOT_EXISTS', Message: 'Transaction with label never not exists' });
    const headers = txnHeaders();
    await op('begin', headers);
    assert.deepEqual(await put({ ...headers, db: 'other' }), { Status: 'INVALID_ARGUMENT', Message: 'Request database other not equal transaction database db' });
    assert.deepEqual(await put({ ...headers, table: 'u' }), { Status: 'INVALID_ARGUMENT', Message: 'Request table u not equal transaction table t' });
    assert.equal((await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 50 }])).Status, 'OK');
    // Any error in a load rolls the transaction back (§5.3).
    assert.deepEqual(await op('load', { ...headers, ...JSON_ARRAY, strict_mode: 'true' }, [{ id: 51 }]), { Status: 'INTERNAL_ERROR', Message: 'load request not equal last.' });
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.equal((await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 52 }])).Status, 'TXN_NOT_EXISTS');
    const plan = txnHeaders();
    await op('begin', plan);
    assert.deepEqual(await op('load', { ...plan, ...JSON_ARRAY, strict_mode: 'maybe' }, []), { Status: 'INVALID_ARGUMENT', Message: 'Invalid strict mode format. Must be bool type' });
  });

  test('prepare/commit before any load, db mismatch, unknown label; empty label and unknown op', async () => {
    const headers = txnHeaders();
    const txnId = (await op('begin', headers)).TxnId;
    assert.deepEqual(await be('commit', { ...headers, db: 'other' }), { Status: 'INVALID_ARGUMENT', Message: `request db other transaction db db not match` });
    const early = await op('prepare', headers);
    assert.equal(early.Status, 'INTERNAL_ERROR');
    assert.match(
      String(early.Message),
      new RegExp(`^transaction id=[0-9a-f]{16}-[0-9a-f]{16}, job_id=-1, txn_id: ${txnId}, label=${headers.label}, db=db hasn't send any data yet$`),
    );
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.deepEqual(await be('prepare', headers), { Status: 'TXN_NOT_EXISTS', Message: `transaction with label ${headers.label} not exists` });
    assert.deepEqual(await be('rollback', headers), { Status: 'TXN_NOT_EXISTS', Message: `transaction with label ${headers.label} not exists` });
    assert.deepEqual(await be('begin', { authorization: ROOT, db: 'db' }), { Status: 'INVALID_ARGUMENT', Message: 'empty label' });
    assert.deepEqual(await be('load', txnHeaders()), { Status: 'INVALID_ARGUMENT', Message: 'unsupport transaction operation load' });
    const timed = txnHeaders();
    await op('begin', timed);
    assert.deepEqual(await op('prepare', { ...timed, prepared_timeout: '-5' }), { Status: 'INVALID_ARGUMENT', Message: 'Invalid prepared_timeout: -5' });
    await op('rollback', timed);
  });

  test('data problems surface at prepare: too many filtered rows with ErrorURL, nothing visible', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    const load = { ...headers, ...JSON_ARRAY, strict_mode: 'true' };
    assert.equal((await op('load', load, [{ id: 60, v: 'ok' }, { id: 'x' }])).Status, 'OK');
    const prepare = await op('prepare', headers);
    assert.deepEqual(Object.keys(prepare), ['Status', 'Message', 'ErrorURL']);
    assert.deepEqual([prepare.Status, prepare.Message], ['INTERNAL_ERROR', 'too many filtered rows']);
    const url = new URL(String(prepare.ErrorURL));
    const log = await request({ port: Number(url.port), method: 'GET', path: url.pathname + url.search });
    assert.equal(log.text, 'Error: Unable to cast string value to BIGINT. value=x, column=id. Row: {"id":"x"}\n');
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.ok(!ids().includes('60'));

    const tolerant = txnHeaders();
    await op('begin', tolerant);
    await op('load', { ...tolerant, ...JSON_ARRAY, strict_mode: 'true', max_filter_ratio: '0.5' }, [{ id: 61 }, { id: 'y' }]);
    const ok = await op('commit', tolerant);
    assert.deepEqual([ok.Status, ok.NumberTotalRows, ok.NumberLoadedRows, ok.NumberFilteredRows], ['OK', 2, 1, 1]);
    assert.ok(ok.ErrorURL, 'ErrorURL also on success');
    assert.ok(ids().includes('61'));
  });

  test('a commit while a load streams its body: TXN_IN_PROCESSING with the Label key', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    const socket = net.connect(emu.beHttpPort, '127.0.0.1');
    const lines = Object.entries({ ...headers, ...JSON_ARRAY }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const body = '[{"id":70}]';
    socket.write(`PUT /api/transaction/load HTTP/1.1\r\nHost: x\r\n${lines}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    let text = '';
    socket.on('data', (d) => (text += d));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    assert.equal(text, 'HTTP/1.1 100 Continue\r\n\r\n');
    const busy = await be('commit', headers);
    assert.deepEqual(Object.keys(busy), ['Status', 'Label', 'Message']);
    assert.deepEqual(busy, { Status: 'TXN_IN_PROCESSING', Label: headers.label, Message: 'Transaction in processing, please retry later' });
    socket.end(body);
    await new Promise((resolve) => socket.on('close', resolve));
    assert.match(text, /"Status": "OK"/);
    assert.equal((await op('commit', headers)).Status, 'OK');
    assert.ok(ids().includes('70'));
  });
});

describe('timeouts (§5.4)', () => {
  test('begin timeout: past it the transaction is ABORTED and the label free again', async () => {
    const headers = txnHeaders({ timeout: '10' });
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 80 }]);
    clock += 11_000;
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.deepEqual(await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 80 }]), { Status: 'TXN_NOT_EXISTS', Message: `Transaction with label ${headers.label} not exists` });
    assert.equal((await op('begin', headers)).Status, 'OK');
    await op('rollback', headers);
  });

  test('idle_transaction_timeout: idle longer than it plus the cleaner interval aborts', async () => {
    const headers = txnHeaders({ idle_transaction_timeout: '5' });
    await op('begin', headers);
    clock += 20_000;
    assert.equal((await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 81 }])).Status, 'OK', 'within 5 s + 30 s');
    clock += 36_000;
    assert.equal((await op('prepare', headers)).Status, 'TXN_NOT_EXISTS');
    assert.equal(await loadState(headers.label!), 'ABORTED');
  });

  test('prepared_timeout: a PREPARED transaction not committed in time is ABORTED', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 82 }]);
    assert.equal((await op('prepare', { ...headers, prepared_timeout: '5' })).Status, 'OK');
    clock += 6_000;
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.match(String((await op('commit', headers)).Message), /cannot commit aborted transaction/);
    assert.ok(!ids().includes('82'));
  });
});

describe('fault switches at commit', () => {
  test('too-many-versions at commit: INTERNAL_ERROR with the §4.4 message, ABORTED, nothing visible', async () => {
    emu.faults.inject({ kind: 'too-many-versions', times: 1 });
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 90 }]);
    const commit = await op('commit', headers);
    assert.equal(commit.Status, 'INTERNAL_ERROR');
    assert.match(String(commit.Message), /^Failed to load data into tablet \d+, because of too many versions, current\/limit: 1001\/1000\./);
    assert.equal(await loadState(headers.label!), 'ABORTED');
    assert.ok(!ids().includes('90'));
  });

  test('memory-limit at prepare and label-stuck-running at begin', async () => {
    emu.faults.inject({ kind: 'memory-limit', times: 1, table: 't' });
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 95 }]);
    assert.deepEqual(await op('prepare', headers), {
      Status: 'INTERNAL_ERROR',
      Message: 'memory limit exceeded, please reduce load frequency or increase config load_process_max_memory_limit_percent or add more BE nodes',
    });
    assert.equal(await loadState(headers.label!), 'ABORTED');
    emu.faults.inject({ kind: 'label-stuck-running', label: 'stuck-txn' });
    assert.deepEqual(await op('begin', txnHeaders({ label: 'stuck-txn' })), {
      Status: 'LABEL_ALREADY_EXISTS',
      ExistingJobStatus: 'RUNNING',
      Message: 'Label [stuck-txn] has already been used.',
    });
  });

  test('publish-timeout at a BE commit: PUBLISH_TIMEOUT, COMMITTED then VISIBLE; the context stays aborted', async () => {
    emu.faults.inject({ kind: 'publish-timeout', times: 1, visibleAfterMs: 1000 });
    const headers = txnHeaders();
    const txnId = (await op('begin', headers)).TxnId;
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 91 }]);
    assert.deepEqual(await op('commit', headers), {
      Status: 'PUBLISH_TIMEOUT',
      Message: `Publish timeout. The data will be visible after a while, txn_id: ${txnId}`,
    });
    assert.equal(await loadState(headers.label!), 'COMMITTED');
    assert.ok(ids().includes('91'));
    assert.deepEqual(await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 92 }]), { Status: 'ABORTED', Message: 'current transaction is aborted' });
    assert.deepEqual(await be('prepare', headers), { Status: 'ABORTED', Message: 'transaction is aborted' });
    assert.deepEqual(await be('begin', headers), { Status: 'LABEL_ALREADY_EXISTS', ExistingJobStatus: '', Message: '' });
    assert.match(String((await op('commit', headers)).Message), /has already committed$/);
    clock += 1000;
    assert.equal(await loadState(headers.label!), 'VISIBLE');
  });

  test('publish-timeout when the FE commits a PREPARED transaction: OK, COMMITTED for a while', async () => {
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 93 }]);
    await op('prepare', headers);
    emu.faults.inject({ kind: 'publish-timeout', times: 1, visibleAfterMs: 500, table: 't' });
    assert.deepEqual(await op('commit', headers), { Status: 'OK', Message: '', Label: headers.label });
    assert.equal(await loadState(headers.label!), 'COMMITTED');
    clock += 500;
    assert.equal(await loadState(headers.label!), 'VISIBLE');
  });

  test('reset at commit: no reply, but committed; the retry is answered by the FE', async () => {
    emu.faults.inject({ kind: 'reset', applied: true, times: 1 });
    const headers = txnHeaders();
    await op('begin', headers);
    await op('load', { ...headers, ...JSON_ARRAY }, [{ id: 94 }]);
    await assert.rejects(op('commit', headers), /socket hang up|ECONNRESET/);
    assert.equal(await loadState(headers.label!), 'VISIBLE');
    assert.match(String((await op('commit', headers)).Message), /has already committed$/);
  });
});
