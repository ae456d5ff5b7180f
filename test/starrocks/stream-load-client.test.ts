/**
 * The Stream Load client (src/stream-load-client.ts) against the StarRocks emulator: what a loader
 * relies on — rows in the table, the outcome, retryable vs permanent errors with StarRocks' own
 * message, idempotent retries with the same label, and no credential in any error.
 * Reference: /work/shared/reference/starrocks-stream-load.md §1–§4.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createStreamLoadClient, type LoadOutcome, type StarRocksHttp, type StreamLoadClient, type StreamLoadClientOptions } from '../../src/starrocks/stream-load-client.ts';
import { PermanentLoadError, RetryableLoadError, StreamLoadError } from '../../src/starrocks/stream-load-errors.ts';
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts';

const DB = 'd';
const PASSWORD = 's3cret-Pa55';
const WRONG_PASSWORD = 'Wr0ng-pa55w0rd';
const SECRETS = [PASSWORD, WRONG_PASSWORD, ...[PASSWORD, WRONG_PASSWORD].map((p) => Buffer.from(`loader:${p}`).toString('base64'))];

let emu: StarRocksEmulator;
const clients: StreamLoadClient[] = [];
let tableSeq = 0;

before(async () => {
  emu = await startStarRocksEmulator({ users: { root: '', loader: PASSWORD } });
  await emu.execute(`CREATE DATABASE ${DB}`);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
});

function client(options: StreamLoadClientOptions = {}, target: Partial<StarRocksHttp> = {}): StreamLoadClient {
  const c = createStreamLoadClient({ feHost: '127.0.0.1', feHttpPort: emu.feHttpPort, user: 'loader', password: PASSWORD, ...target }, options);
  clients.push(c);
  return c;
}

async function pkTable(columns = 'id BIGINT NOT NULL, v VARCHAR(8)'): Promise<string> {
  const name = `pk${++tableSeq}`;
  await emu.execute(`CREATE TABLE ${DB}.${name} (${columns}) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
  return name;
}

async function dupTable(columns = 'id BIGINT NOT NULL, v VARCHAR(8)'): Promise<string> {
  const name = `dup${++tableSeq}`;
  await emu.execute(`CREATE TABLE ${DB}.${name} (${columns}) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`);
  return name;
}

const json = (rows: object[]) => Buffer.from(JSON.stringify(rows));
const rowsOf = (table: string) => emu.rows(DB, table);
const attempts = (label: string) => emu.loads.filter((l) => l.label === label).map((l) => [l.status, l.fault]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** No password, and no Basic token carrying one, in anything an error shows (logs, JSON, stack). */
function assertNoCredential(err: unknown): void {
  const e = err as Error;
  const texts = [String(err), e.message, e.stack ?? '', JSON.stringify(err)];
  for (const text of texts) for (const secret of SECRETS) assert.ok(!text.includes(secret), `credential ${secret} leaked in: ${text}`);
}

async function failure(p: Promise<unknown>): Promise<StreamLoadError> {
  try {
    const value = await p;
    assert.fail(`expected the load to fail, got ${JSON.stringify(value)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof StreamLoadError, `not a StreamLoadError: ${String(err)}`);
    assertNoCredential(err);
    // StarRocks' own words stay readable in the message a log line shows.
    assert.ok(err.message.includes(err.serverMessage), `message ${err.message} lacks ${err.serverMessage}`);
    return err;
  }
}

async function retryable(p: Promise<unknown>): Promise<RetryableLoadError> {
  const err = await failure(p);
  assert.ok(err instanceof RetryableLoadError, `expected RetryableLoadError, got ${err.name}: ${err.message}`);
  assert.equal(err.name, 'RetryableLoadError');
  return err;
}

async function permanent(p: Promise<unknown>): Promise<PermanentLoadError> {
  const err = await failure(p);
  assert.ok(err instanceof PermanentLoadError, `expected PermanentLoadError, got ${err.name}: ${err.message}`);
  assert.equal(err.name, 'PermanentLoadError');
  return err;
}

/** A TCP relay in front of a port, counting the bytes the client sent through it. */
async function countingRelay(port: number): Promise<{ port: number; bytesFromClient: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    sockets.add(down).add(up);
    down.on('data', (chunk: Buffer) => (bytes += chunk.length));
    down.pipe(up);
    up.pipe(down);
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    for (const s of [down, up]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    bytesFromClient: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function assertOutcome(outcome: LoadOutcome, status: LoadOutcome['status'], loadedRows: number): void {
  assert.equal(outcome.status, status);
  assert.equal(outcome.loadedRows, loadedRows);
  if (status !== 'Label Already Exists') assert.ok(outcome.txnId > 0, `txnId ${outcome.txnId}`);
}

describe('successful loads', () => {
  test('Primary Key table: __op 0 upserts, __op 1 deletes', async () => {
    const table = await pkTable();
    const c = client();
    const first = json([
      { id: '1', v: 'a', __op: 0 },
      { id: '2', v: 'b', __op: 0 },
      { id: '3', v: 'c', __op: 0 },
    ]);
    const upsert = await c.load({ database: DB, table, label: `${table}-1`, body: first });
    assertOutcome(upsert, 'Success', 3);
    assert.equal(upsert.loadBytes, first.length);
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'a' },
      { id: '2', v: 'b' },
      { id: '3', v: 'c' },
    ]);
    const second = await c.load({
      database: DB,
      table,
      label: `${table}-2`,
      body: json([
        { id: '2', __op: 1 },
        { id: '3', v: 'c2', __op: 0 },
        { id: '4', v: 'd', __op: 0 },
      ]),
    });
    assertOutcome(second, 'Success', 3);
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'a' },
      { id: '3', v: 'c2' },
      { id: '4', v: 'd' },
    ]);
  });

  test('Duplicate Key table: every row is appended', async () => {
    const table = await dupTable();
    const outcome = await client().load({
      database: DB,
      table,
      label: `${table}-1`,
      body: json([
        { id: '1', v: 'a' },
        { id: '1', v: 'a' },
        { id: '2', v: null },
      ]),
    });
    assertOutcome(outcome, 'Success', 3);
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'a' },
      { id: '1', v: 'a' },
      { id: '2', v: null },
    ]);
  });

  test('the FE 307 is followed with Authorization kept, and the body goes to the BE only', async () => {
    const table = await dupTable();
    const relay = await countingRelay(emu.feHttpPort);
    try {
      const rows = Array.from({ length: 3000 }, (_, i) => ({ id: String(i), v: 'abcdefgh' }));
      const body = json(rows);
      assert.ok(body.length > 60_000);
      const label = `${table}-big`;
      const outcome = await client({}, { feHttpPort: relay.port }).load({ database: DB, table, label, body });
      assertOutcome(outcome, 'Success', 3000);
      assert.equal(outcome.loadBytes, body.length);
      assert.equal(rowsOf(table).length, 3000);
      // The FE saw the request head only (the BE would answer `no valid Basic authorization`
      // had the header been dropped on the redirect).
      assert.ok(relay.bytesFromClient() > 0, 'the request went through the FE');
      assert.ok(relay.bytesFromClient() < 2_000, `the FE received ${relay.bytesFromClient()} bytes`);
      const seen = emu.loads.filter((l) => l.label === label);
      assert.deepEqual(
        seen.map((l) => [l.status, l.message, l.totalRows, l.loadedRows]),
        [['Success', 'OK', 3000, 3000]],
      );
    } finally {
      await relay.close();
    }
  });

  test('Publish Timeout counts as success and the rows are there', async () => {
    const table = await pkTable();
    emu.faults.inject({ kind: 'publish-timeout', table, times: 1, visibleAfterMs: 200 });
    const c = client();
    const label = `${table}-pt`;
    const outcome = await c.load({ database: DB, table, label, body: json([{ id: '7', v: 'x', __op: 0 }]) });
    assertOutcome(outcome, 'Publish Timeout', 1);
    assert.deepEqual(rowsOf(table), [{ id: '7', v: 'x' }]);
    // A retry of the same batch while the txn is COMMITTED is answered FINISHED: done, nothing doubled.
    const again = await c.load({ database: DB, table, label, body: json([{ id: '7', v: 'x', __op: 0 }]) });
    assert.equal(again.status, 'Label Already Exists');
    assert.deepEqual(rowsOf(table), [{ id: '7', v: 'x' }]);
  });

  test('the same label again after success is Label Already Exists (FINISHED): success, rows not doubled', async () => {
    const table = await dupTable();
    const c = client();
    const label = `${table}-again`;
    const body = json([
      { id: '1', v: 'a' },
      { id: '2', v: 'b' },
    ]);
    assertOutcome(await c.load({ database: DB, table, label, body }), 'Success', 2);
    const again = await c.load({ database: DB, table, label, body });
    assert.equal(again.status, 'Label Already Exists');
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'a' },
      { id: '2', v: 'b' },
    ]);
    assert.deepEqual(attempts(label), [
      ['Success', null],
      ['Label Already Exists', null],
    ]);
  });

  test('a retry of a large batch is answered before its body is read (FINISHED), not a network error', async () => {
    const table = await dupTable();
    const label = `${table}-large`;
    // 100k rows: the emulator overflows its stack on ~130k rows in one body (json-source.ts:40).
    const body = json(Array.from({ length: 100_000 }, (_, i) => ({ id: String(i), v: 'abcdefgh' })));
    assert.ok(body.length > 2_500_000);
    const c = client();
    assertOutcome(await c.load({ database: DB, table, label, body }), 'Success', 100_000);
    const again = await c.load({ database: DB, table, label, body });
    assert.equal(again.status, 'Label Already Exists');
    assert.equal(rowsOf(table).length, 100_000);
  });

  test('pointing feHttpPort at the BE works: the BE asks for the body with 100 Continue', async () => {
    const table = await pkTable();
    const c = client({}, { feHttpPort: emu.beHttpPort });
    const label = `${table}-direct`;
    const outcome = await c.load({ database: DB, table, label, body: json([{ id: '5', v: 'be', __op: 0 }]) });
    assertOutcome(outcome, 'Success', 1);
    assert.deepEqual(rowsOf(table), [{ id: '5', v: 'be' }]);
    assert.deepEqual(attempts(label), [['Success', null]]);
    // Errors answered by the BE before the body are classified the same way.
    const unknown = await permanent(c.load({ database: DB, table: 'nosuch', label: `${table}-direct-2`, body: json([{ id: '1' }]) }));
    assert.equal(unknown.reason, 'unknown-table');
    const denied = await permanent(
      client({}, { feHttpPort: emu.beHttpPort, password: WRONG_PASSWORD }).load({ database: DB, table, label: `${table}-direct-3`, body: json([{ id: '1' }]) }),
    );
    assert.equal(denied.reason, 'auth');
    assert.equal(denied.serverMessage, 'Access denied for loader@127.0.0.1');
    assert.deepEqual(rowsOf(table), [{ id: '5', v: 'be' }]);
  });
});

describe('strict mode and rejected rows', () => {
  test('strict mode is on by default: an over-long VARCHAR fails the load as rejected-data with the error log lines', async () => {
    const table = await pkTable();
    const label = `${table}-long`;
    const err = await permanent(
      client().load({
        database: DB,
        table,
        label,
        body: json([
          { id: '1', v: 'ok', __op: 0 },
          { id: '2', v: 'waytoolong', __op: 0 },
        ]),
      }),
    );
    assert.equal(err.reason, 'rejected-data');
    assert.equal(err.status, 'Fail');
    assert.equal(err.serverMessage, 'too many filtered rows');
    assert.match(err.errorUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/api\/_load_error_log\?file=/);
    assert.deepEqual(err.rejectedRows, ['Error: Value length is beyond the capacity. column=v, capacity=8. Row: {"id":"2","v":"waytoolong","__op":0}']);
    assert.deepEqual(rowsOf(table), []);
  });

  test('NULL into a NOT NULL column is rejected-data with the error log line', async () => {
    const table = await dupTable('id BIGINT NOT NULL, v VARCHAR(8) NOT NULL');
    const err = await permanent(
      client().load({
        database: DB,
        table,
        label: `${table}-null`,
        body: json([{ id: '1', v: 'a' }, { id: '2' }, { id: '3', v: null }]),
      }),
    );
    assert.equal(err.reason, 'rejected-data');
    assert.equal(err.serverMessage, 'too many filtered rows');
    assert.deepEqual(err.rejectedRows, [
      `Error: NULL value in non-nullable column 'v'. Row: {"id":"2"}`,
      `Error: NULL value in non-nullable column 'v'. Row: {"id":"3","v":null}`,
    ]);
    assert.deepEqual(rowsOf(table), []);
  });

  test('rejectedRows keeps every line of the error log, one per refused row StarRocks logged', async () => {
    const table = await dupTable();
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: String(i), v: `toolong-${i}` }));
    const err = await permanent(client().load({ database: DB, table, label: `${table}-many`, body: json(rows) }));
    assert.equal(err.reason, 'rejected-data');
    assert.equal(err.rejectedRows.length, 25);
    assert.equal(err.rejectedRows[0], 'Error: Value length is beyond the capacity. column=v, capacity=8. Row: {"id":"0","v":"toolong-0"}');
    assert.deepEqual(rowsOf(table), []);
  });

  test('with strictMode: false an over-long VARCHAR loads as NULL', async () => {
    const table = await pkTable();
    const outcome = await client({ strictMode: false }).load({
      database: DB,
      table,
      label: `${table}-lax`,
      body: json([
        { id: '1', v: 'ok', __op: 0 },
        { id: '2', v: 'waytoolong', __op: 0 },
      ]),
    });
    assertOutcome(outcome, 'Success', 2);
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'ok' },
      { id: '2', v: null },
    ]);
  });
});

describe('label still RUNNING', () => {
  const options = { labelPollMs: 50, labelWaitMs: 5_000 };

  test('RUNNING, then the earlier txn turns out ABORTED: the client re-sends and loads', async () => {
    const table = await dupTable();
    const label = `${table}-aborted`;
    const c = client(options);
    const body = json([{ id: '1', v: 'a' }]);
    // An earlier attempt of ours failed and aborted its txn…
    emu.faults.inject({ kind: 'too-many-versions', table, times: 1 });
    await retryable(c.load({ database: DB, table, label, body }));
    // …and the label reads RUNNING until the emulator releases it (then ABORTED again).
    emu.faults.inject({ kind: 'label-stuck-running', label, db: DB });
    setTimeout(() => emu.faults.release(label), 300);
    const started = performance.now();
    const outcome = await c.load({ database: DB, table, label, body });
    assert.ok(performance.now() - started >= 280, 'the client waited for the label');
    assertOutcome(outcome, 'Success', 1);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
    assert.deepEqual(attempts(label), [
      ['Fail', 'too-many-versions'],
      ['Label Already Exists', null],
      ['Success', null],
    ]);
  });

  test('RUNNING, then the txn turns out VISIBLE: success without re-sending, rows not doubled', async () => {
    const table = await dupTable();
    const label = `${table}-visible`;
    const c = client(options);
    const body = json([{ id: '1', v: 'a' }]);
    assertOutcome(await c.load({ database: DB, table, label, body }), 'Success', 1);
    emu.faults.inject({ kind: 'label-stuck-running', label, db: DB });
    setTimeout(() => emu.faults.release(label), 300);
    const started = performance.now();
    const outcome = await c.load({ database: DB, table, label, body });
    assert.ok(performance.now() - started >= 280, 'the client waited for the label');
    assert.equal(outcome.status, 'Label Already Exists');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
    assert.deepEqual(attempts(label), [
      ['Success', null],
      ['Label Already Exists', null],
    ]);
  });

  test('a concurrent attempt still in flight (slow BE, not applied) aborts: the client waits, re-sends and loads once', async () => {
    const table = await dupTable();
    const label = `${table}-inflight`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'slow', ms: 500, applied: false, table, times: 1 });
    const first = retryable(client({ timeoutMs: 5_000 }).load({ database: DB, table, label, body }));
    await sleep(100);
    const started = performance.now();
    const second = await client(options).load({ database: DB, table, label, body });
    assert.ok(performance.now() - started >= 300, 'the second attempt waited for the first');
    assertOutcome(second, 'Success', 1);
    const err = await first;
    assert.equal(err.serverMessage, 'timeout');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('RUNNING past labelWaitMs: RetryableLoadError, nothing loaded', async () => {
    const table = await dupTable();
    const label = `${table}-deadline`;
    emu.faults.inject({ kind: 'label-stuck-running', label, db: DB });
    const started = performance.now();
    const err = await retryable(client({ labelPollMs: 50, labelWaitMs: 300 }).load({ database: DB, table, label, body: json([{ id: '1', v: 'a' }]) }));
    const waited = performance.now() - started;
    assert.ok(waited >= 290 && waited < 3_000, `waited ${waited} ms`);
    assert.equal(err.status, 'Label Already Exists');
    assert.match(err.serverMessage, /PREPARE/);
    assert.deepEqual(rowsOf(table), []);
    emu.faults.release(label);
  });

  test('a stuck label released while the client polls: the client re-sends at once and loads once', async () => {
    const table = await dupTable();
    const label = `${table}-released`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'label-stuck-running', label, db: DB });
    setTimeout(() => emu.faults.release(label), 100);
    const started = Date.now();
    assertOutcome(await client({ labelPollMs: 50, labelWaitMs: 5_000 }).load({ database: DB, table, label, body }), 'Success', 1);
    assert.ok(Date.now() - started < 2_000, 'did not wait out labelWaitMs');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });
});

describe('retryable failures', () => {
  async function retriedOnce(table: string, label: string, body: Buffer, expectedStatus: LoadOutcome['status'] = 'Success') {
    const outcome = await client().load({ database: DB, table, label, body });
    assert.equal(outcome.status, expectedStatus);
    return outcome;
  }

  test('too many versions: RetryableLoadError with the message; the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-tmv`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'too-many-versions', table, times: 1 });
    const err = await retryable(client().load({ database: DB, table, label, body }));
    assert.equal(err.status, 'Fail');
    assert.match(err.serverMessage, /^Failed to load data into tablet \d+, because of too many versions, current\/limit: 1001\/1000\./);
    assert.deepEqual(rowsOf(table), []);
    await retriedOnce(table, label, body);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('memory limit: RetryableLoadError with the message; the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-mem`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'memory-limit', table, times: 1 });
    const err = await retryable(client().load({ database: DB, table, label, body }));
    assert.equal(err.status, 'Fail');
    assert.equal(
      err.serverMessage,
      'memory limit exceeded, please reduce load frequency or increase config load_process_max_memory_limit_percent or add more BE nodes',
    );
    await retriedOnce(table, label, body);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('no backend alive (FE FAILED): RetryableLoadError; the BE never saw it; the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-nobe`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'no-backend', table, times: 1 });
    const err = await retryable(client().load({ database: DB, table, label, body }));
    assert.equal(err.status, 'FAILED');
    assert.equal(err.serverMessage, 'class com.starrocks.common.DdlException: No backend alive.');
    assert.deepEqual(attempts(label), []);
    await retriedOnce(table, label, body);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('the FE answers after timeoutMs: RetryableLoadError timeout; the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-slowfe`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'slow', at: 'fe', ms: 1_500, table, times: 1 });
    const started = performance.now();
    const err = await retryable(client({ timeoutMs: 700 }).load({ database: DB, table, label, body }));
    const waited = performance.now() - started;
    assert.ok(waited >= 650 && waited < 1_400, `waited ${waited} ms`);
    assert.equal(err.status, 'timeout');
    assert.deepEqual(attempts(label), []);
    await retriedOnce(table, label, body);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('the BE answers after timeoutMs but applied the load: RetryableLoadError; the retry answers FINISHED, rows not doubled', async () => {
    const table = await dupTable();
    const label = `${table}-slowbe`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'slow', ms: 2_500, applied: true, table, times: 1 });
    const started = performance.now();
    const err = await retryable(client({ timeoutMs: 700 }).load({ database: DB, table, label, body }));
    const waited = performance.now() - started;
    // undici's headersTimeout runs on its ~0.5 s-tick fast timers: 700 ms fires at about 1 s.
    assert.ok(waited >= 650 && waited < 2_000, `waited ${waited} ms`);
    assert.equal(err.status, 'timeout');
    await retriedOnce(table, label, body, 'Label Already Exists');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('the BE drops the connection before applying: RetryableLoadError; the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-reset0`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'reset', applied: false, table, times: 1 });
    const err = await retryable(client().load({ database: DB, table, label, body }));
    assert.equal(err.status, 'network');
    assert.notEqual(err.serverMessage, '');
    assert.deepEqual(rowsOf(table), []);
    await retriedOnce(table, label, body);
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('the BE drops the connection after applying: RetryableLoadError; the retry answers FINISHED, rows not doubled', async () => {
    const table = await dupTable();
    const label = `${table}-reset1`;
    const body = json([{ id: '1', v: 'a' }]);
    emu.faults.inject({ kind: 'reset', applied: true, table, times: 1 });
    const err = await retryable(client().load({ database: DB, table, label, body }));
    assert.equal(err.status, 'network');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
    await retriedOnce(table, label, body, 'Label Already Exists');
    assert.deepEqual(rowsOf(table), [{ id: '1', v: 'a' }]);
  });

  test('StarRocks down: RetryableLoadError (connection refused); once back, the retry loads once', async () => {
    const table = await dupTable();
    const label = `${table}-down`;
    const body = json([{ id: '1', v: 'a' }]);
    const c = client();
    assertOutcome(await c.load({ database: DB, table, label: `${table}-warm`, body }), 'Success', 1); // a kept-alive BE connection
    emu.faults.inject({ kind: 'down' });
    await sleep(50);
    const err = await retryable(c.load({ database: DB, table, label, body }));
    assert.equal(err.status, 'network');
    assert.match(err.serverMessage, /ECONNREFUSED/);
    emu.faults.clear();
    await sleep(50);
    assertOutcome(await c.load({ database: DB, table, label, body }), 'Success', 1);
    assert.deepEqual(rowsOf(table), [
      { id: '1', v: 'a' },
      { id: '1', v: 'a' },
    ]);
    assert.deepEqual(attempts(label), [['Success', null]]);
  });
});

describe('permanent failures', () => {
  test('unknown database: PermanentLoadError unknown-table', async () => {
    const err = await permanent(client().load({ database: 'nodb', table: 't', label: 'nodb-1', body: json([{ id: '1' }]) }));
    assert.equal(err.reason, 'unknown-table');
    assert.equal(err.status, 'Fail');
    assert.equal(err.serverMessage, 'unknown database, database=nodb');
  });

  test('unknown table: PermanentLoadError unknown-table', async () => {
    const err = await permanent(client().load({ database: DB, table: 'nosuch', label: 'nosuch-1', body: json([{ id: '1' }]) }));
    assert.equal(err.reason, 'unknown-table');
    assert.equal(err.serverMessage, `unknown table "${DB}.nosuch"`);
  });

  test('wrong password: PermanentLoadError auth from the FE 401, no password in the error', async () => {
    const table = await dupTable();
    const label = `${table}-auth`;
    const err = await permanent(client({}, { password: WRONG_PASSWORD }).load({ database: DB, table, label, body: json([{ id: '1', v: 'a' }]) }));
    assert.equal(err.reason, 'auth');
    assert.equal(err.httpStatus, 401);
    assert.equal(err.status, 'HTTP 401');
    assert.equal(err.serverMessage, 'Access denied for loader@127.0.0.1');
    assert.deepEqual(attempts(label), []);
    assert.deepEqual(rowsOf(table), []);
  });

  test('a label with a character outside [-\\w]: PermanentLoadError bad-request', async () => {
    const table = await dupTable();
    const err = await permanent(client().load({ database: DB, table, label: 'bad label!', body: json([{ id: '1', v: 'a' }]) }));
    assert.equal(err.reason, 'bad-request');
    // Refused before sending: StarRocks would answer `Label format error`, or invent a label.
    assert.equal(err.serverMessage, 'a label is 1-128 of letters, digits, "_" and "-"');
    assert.ok(!emu.loads.some((l) => l.table === table), 'nothing reached StarRocks');
    assert.deepEqual(rowsOf(table), []);
  });

  test('a large body to an unknown table is refused before it is read: still PermanentLoadError unknown-table', async () => {
    const body = json(Array.from({ length: 300_000 }, (_, i) => ({ id: String(i), v: 'abcdefgh' })));
    assert.ok(body.length > 8_000_000);
    const err = await permanent(client().load({ database: DB, table: 'nosuch', label: 'nosuch-large', body }));
    assert.equal(err.reason, 'unknown-table');
    assert.equal(err.serverMessage, `unknown table "${DB}.nosuch"`);
  });

  // BUG (src/stream-load-client.ts loadHeaders/askFrontend): a label node:http cannot put in a
  // header (non-Latin-1 or control characters) rejects with a bare TypeError ERR_INVALID_CHAR,
  // neither RetryableLoadError nor PermanentLoadError.
  test('a label with a character that cannot go in a header: PermanentLoadError bad-request, not a TypeError', async () => {
    const table = await dupTable();
    for (const label of ['批次-1', 'a\nb']) {
      const err = await permanent(client().load({ database: DB, table, label, body: json([{ id: '1', v: 'a' }]) }));
      assert.equal(err.reason, 'bad-request');
    }
    assert.deepEqual(rowsOf(table), []);
  });

  // BUG (src/stream-load-client.ts load): an empty label is sent as is; the BE then generates a
  // UUID label (§2.1, §3.4), so the load "succeeds" without idempotency and a retry doubles rows.
  test('an empty label is refused (PermanentLoadError bad-request) instead of loading under a server-made label', async () => {
    const table = await dupTable();
    const c = client();
    const body = json([{ id: '1', v: 'a' }]);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        outcomes.push((await c.load({ database: DB, table, label: '', body })).status);
      } catch (err) {
        assertNoCredential(err);
        outcomes.push(err instanceof PermanentLoadError ? `PermanentLoadError ${err.reason}` : String(err));
      }
    }
    assert.deepEqual(
      { outcomes, rows: rowsOf(table) },
      { outcomes: ['PermanentLoadError bad-request', 'PermanentLoadError bad-request'], rows: [] },
    );
  });

  // BUG (src/stream-load-errors.ts permanentMessages): the FE's `No database selected.` /
  // `No table selected.` (§1.1 step 3) are classified retryable although no retry can succeed.
  test('an empty database or table name: PermanentLoadError, not retryable', async () => {
    for (const [database, table] of [['', 't'], [DB, '']] as const) {
      const err = await failure(client().load({ database, table, label: `empty-name-${database.length}`, body: json([{ id: '1' }]) }));
      assert.match(err.serverMessage, /No (database|table) selected\./);
      assert.ok(err instanceof PermanentLoadError, `${err.name}: ${err.message}`);
      assert.ok(['bad-request', 'unknown-table'].includes(err.reason), err.reason);
    }
  });
});
