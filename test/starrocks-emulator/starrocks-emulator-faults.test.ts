/**
 * The emulator's fault switches (§3.2, §4.4, §4.5, §8.4, §9.6), each observed from the client side,
 * and the log of load attempts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { startStarRocksEmulator, type StarRocksEmulator } from './index.ts';
import { basicAuth, request, streamLoad } from './test-client.ts';

let emu: StarRocksEmulator;
const ROOT = basicAuth('root', '');

async function load(table: string, rows: unknown[], label: string) {
  const reply = await streamLoad(emu.feHttpPort, 'db', table, JSON.stringify(rows), { authorization: ROOT, label, format: 'json', strip_outer_array: 'true' });
  return reply.result;
}

async function loadState(label: string): Promise<string> {
  const reply = await request({ port: emu.feHttpPort, method: 'GET', path: `/api/db/get_load_state?label=${label}`, headers: { authorization: ROOT } });
  return String(JSON.parse(reply.text).state);
}

const ids = (table: string) => emu.rows('db', table).map((r) => r.id);

before(async () => {
  emu = await startStarRocksEmulator();
  await emu.execute('CREATE DATABASE db');
  await emu.execute('CREATE TABLE db.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
  await emu.execute('CREATE TABLE db.other (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)');
});

afterEach(() => emu.faults.clear());
after(() => emu.close());

test('publish-timeout: applied, Status Publish Timeout, COMMITTED then VISIBLE; spent after `times`', async () => {
  emu.faults.inject({ kind: 'publish-timeout', times: 1, visibleAfterMs: 150 });
  const r = await load('t', [{ id: 1 }], 'pt1');
  assert.equal(r.Status, 'Publish Timeout');
  assert.match(String(r.Message), /^Publish timeout\. The data will be visible after a while/);
  assert.deepEqual(ids('t'), ['1']);
  assert.equal(await loadState('pt1'), 'COMMITTED');
  const retry = await load('t', [{ id: 1 }], 'pt1');
  assert.deepEqual([retry.Status, retry.ExistingJobStatus], ['Label Already Exists', 'FINISHED']);
  await new Promise((resolve) => setTimeout(resolve, 160));
  assert.equal(await loadState('pt1'), 'VISIBLE');
  assert.equal((await load('t', [{ id: 2 }], 'pt2')).Status, 'Success');
});

test('too-many-versions: Fail with the 3.x message, nothing applied, label reusable (§4.4)', async () => {
  emu.faults.inject({ kind: 'too-many-versions', times: 1 });
  const r = await load('t', [{ id: 10 }], 'tmv');
  assert.equal(r.Status, 'Fail');
  assert.match(
    String(r.Message),
    /^Failed to load data into tablet \d+, because of too many versions, current\/limit: 1001\/1000\. You can reduce the loading job concurrency, or increase loading data batch size\. If you are loading data with Routine Load, you can increase FE configs routine_load_task_consume_second and max_routine_load_batch_size,:  be:127\.0\.0\.1$/,
  );
  assert.ok(!ids('t').includes('10'));
  assert.equal(await loadState('tmv'), 'ABORTED');
  assert.equal((await load('t', [{ id: 10 }], 'tmv')).Status, 'Success');
});

test('memory-limit: Fail, limited to one table', async () => {
  emu.faults.inject({ kind: 'memory-limit', table: 'other' });
  assert.equal((await load('t', [{ id: 20 }], 'mem1')).Status, 'Success');
  const r = await load('other', [{ id: 20 }], 'mem2');
  assert.deepEqual(
    [r.Status, r.Message],
    ['Fail', 'memory limit exceeded, please reduce load frequency or increase config load_process_max_memory_limit_percent or add more BE nodes'],
  );
  assert.deepEqual(ids('other'), []);
});

test('no-backend: the FE answers 200 FAILED No backend alive. (§1.1)', async () => {
  emu.faults.inject({ kind: 'no-backend', times: 1 });
  const reply = await streamLoad(emu.feHttpPort, 'db', 't', '[]', { authorization: ROOT, label: 'nb', format: 'json' });
  assert.equal(reply.fe.status, 200);
  assert.deepEqual(reply.result, { Status: 'FAILED', Message: 'class com.starrocks.common.DdlException: No backend alive.' });
});

test('slow (BE, applied): the reply is late but the load is done', async () => {
  emu.faults.inject({ kind: 'slow', ms: 200, times: 1 });
  const started = Date.now();
  const r = await load('t', [{ id: 30 }], 'slow1');
  assert.ok(Date.now() - started >= 190);
  assert.equal(r.Status, 'Success');
  assert.ok(ids('t').includes('30'));
});

test('slow (BE, not applied): RUNNING while waiting, then Fail and ABORTED', async () => {
  emu.faults.inject({ kind: 'slow', ms: 300, applied: false, times: 1 });
  const pending = load('t', [{ id: 31 }], 'slow2');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await loadState('slow2'), 'PREPARE');
  const concurrent = await load('t', [{ id: 31 }], 'slow2');
  assert.deepEqual([concurrent.Status, concurrent.ExistingJobStatus], ['Label Already Exists', 'RUNNING']);
  const r = await pending;
  assert.deepEqual([r.Status, r.Message], ['Fail', 'timeout']);
  assert.equal(await loadState('slow2'), 'ABORTED');
  assert.ok(!ids('t').includes('31'));
});

test('slow (FE): the 307 comes late', async () => {
  emu.faults.inject({ kind: 'slow', ms: 200, at: 'fe', times: 1 });
  const started = Date.now();
  const reply = await request({ port: emu.feHttpPort, path: '/api/db/t/_stream_load', headers: { authorization: ROOT }, body: '[]' });
  assert.equal(reply.status, 307);
  assert.ok(Date.now() - started >= 190);
});

test('reset: the connection drops without a reply, after or before applying', async () => {
  emu.faults.inject({ kind: 'reset', applied: true, times: 1 });
  await assert.rejects(load('t', [{ id: 40 }], 'reset1'), /socket hang up|ECONNRESET/);
  assert.ok(ids('t').includes('40'));
  const retry = await load('t', [{ id: 40 }], 'reset1');
  assert.deepEqual([retry.Status, retry.ExistingJobStatus], ['Label Already Exists', 'FINISHED']);

  emu.faults.inject({ kind: 'reset', applied: false, times: 1 });
  await assert.rejects(load('t', [{ id: 41 }], 'reset2'), /socket hang up|ECONNRESET/);
  assert.ok(!ids('t').includes('41'));
  assert.equal((await load('t', [{ id: 41 }], 'reset2')).Status, 'Success');
});

test('label-stuck-running: RUNNING and PREPARE until released, then ABORTED and free again', async () => {
  emu.faults.inject({ kind: 'label-stuck-running', label: 'stuck' });
  const r = await load('t', [{ id: 50 }], 'stuck');
  assert.deepEqual([r.TxnId, r.Status, r.ExistingJobStatus, r.Message], [-1, 'Label Already Exists', 'RUNNING', 'Label [stuck] has already been used.']);
  assert.equal(await loadState('stuck'), 'PREPARE');
  emu.faults.release('stuck');
  // The transaction that held the label ended as a timed-out one does (§3.4: aborted labels are reusable).
  assert.equal(await loadState('stuck'), 'ABORTED');
  assert.equal((await load('t', [{ id: 50 }], 'stuck')).Status, 'Success');
});

test('down: every port refuses connections, then comes back on the same port', async () => {
  const ports = [emu.feHttpPort, emu.beHttpPort, emu.mysqlPort];
  emu.faults.inject({ kind: 'down', ms: 300 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const port of ports) await assert.rejects(connect(port), /ECONNREFUSED/);
  await new Promise((resolve) => setTimeout(resolve, 400));
  for (const port of ports) await connect(port);
  assert.equal((await load('t', [{ id: 60 }], 'after-down')).Status, 'Success');
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: emu.mysqlPort, user: 'root' });
  await conn.end();
});

test('the HTTP control endpoint injects, validates and clears faults; the load log records attempts', async () => {
  const control = (method: string, path: string, body?: string) => request({ port: emu.feHttpPort, method, path, body, expectContinue: false });
  const bad = await control('POST', '/_emulator/faults', JSON.stringify({ kind: 'explode' }));
  assert.equal(bad.status, 400);
  assert.equal((await control('POST', '/_emulator/faults', JSON.stringify({ kind: 'too-many-versions', table: 't' }))).status, 200);
  assert.equal((await load('t', [{ id: 70 }], 'ctl1')).Status, 'Fail');
  assert.equal((await control('DELETE', '/_emulator/faults')).status, 200);
  assert.equal((await load('t', [{ id: 70 }], 'ctl1')).Status, 'Success');
  const log = JSON.parse((await control('GET', '/_emulator/loads')).text) as typeof emu.loads;
  const attempts = log.filter((l) => l.label === 'ctl1').map((l) => [l.db, l.table, l.status, l.fault, l.loadedRows]);
  assert.deepEqual(attempts, [
    ['db', 't', 'Fail', 'too-many-versions', 1],
    ['db', 't', 'Success', null, 1],
  ]);
  assert.deepEqual(emu.loads.at(-1), log.at(-1));
});

function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}
