/**
 * A StarRocks 3.x emulator for tests: FE HTTP (Stream Load redirect, get_load_state, the
 * Transaction Stream Load API's FE routing), BE HTTP (Stream Load and transaction execution, error
 * logs) and the FE MySQL port (discovery, information_schema, DDL with asynchronous ALTER TABLE
 * jobs), over one in-memory catalog. Reference: /work/shared/reference/starrocks-stream-load.md.
 *
 *   const emu = await startStarRocksEmulator({ users: { root: '' }, alterDelayMs: 50 });
 *   await emu.execute('CREATE DATABASE db');
 *   // Stream Load: PUT http://127.0.0.1:${emu.feHttpPort}/api/db/t/_stream_load
 *   // Transactions: POST|PUT http://127.0.0.1:${emu.feHttpPort}/api/transaction/{begin,load,prepare,commit,rollback}
 *   // MySQL: 127.0.0.1:${emu.mysqlPort}
 *   await emu.close();
 */
import { AlterJobs } from './alter-jobs.ts';
import { createBeServer } from './be-http.ts';
import { Catalog } from './catalog.ts';
import { ErrorLogs } from './error-log.ts';
import { createFeServer } from './fe-http.ts';
import { FaultBoard, faultSchema, type Fault } from './faults.ts';
import { Users } from './http-auth.ts';
import { LabelRegistry } from './label-registry.ts';
import type { LoadRecord } from './load-result.ts';
import { createMysqlServer } from './mysql-port.ts';
import { runStatement } from './mysql-statements.ts';
import { PortListener } from './port-listener.ts';

export type { Fault } from './faults.ts';
export type { LoadRecord } from './load-result.ts';
export { SqlError } from './sql-error.ts';

export interface StarRocksEmulatorOptions {
  /** user → password; default `{ root: '' }`. */
  users?: Record<string, string>;
  /** Bind address, also the BE host in redirects and ErrorURLs (127.0.0.1 when binding all). */
  host?: string;
  /**
   * The BE host in redirects and ErrorURLs when clients know this server by another name, e.g. its
   * service name on a docker network (StarRocks' BE advertises the address it registered with).
   */
  advertisedHost?: string;
  /** Fixed ports; 0 (default) picks free ones. */
  fePort?: number;
  bePort?: number;
  mysqlPort?: number;
  /**
   * Clock for label retention, transaction timeouts, DEFAULT CURRENT_TIMESTAMP and ALTER job times
   * (tests of the 3-day rule or of timeouts move it).
   */
  now?: () => number;
  /**
   * How long an ALTER TABLE ADD/DROP COLUMN job takes from PENDING to FINISHED (RUNNING from half
   * of it); default 0, i.e. done within a few event-loop turns, like fast schema evolution.
   */
  alterDelayMs?: number;
}

export interface StarRocksEmulator {
  feHttpPort: number;
  beHttpPort: number;
  mysqlPort: number;
  /**
   * Runs DDL (or any statement the MySQL port accepts); rejects with a SqlError. ALTER TABLE
   * returns before its job finishes (see SHOW ALTER TABLE COLUMN).
   */
  execute(sql: string): Promise<void>;
  /** Runs a statement that answers rows (SHOW ALTER TABLE COLUMN, information_schema…): one object per row. */
  query(sql: string): Promise<Record<string, string | null>[]>;
  /** Rows as the MySQL text protocol renders them; keyed tables in key order, Duplicate in load order. */
  rows(db: string, table: string): Record<string, string | null>[];
  faults: {
    inject(fault: Fault): void;
    /** Removes every fault, releases stuck labels and brings a downed emulator back up. */
    clear(): void;
    release(label: string): void;
  };
  /** Every Stream Load attempt the BE saw, in order. */
  loads: LoadRecord[];
  close(): Promise<void>;
}

export async function startStarRocksEmulator(opts: StarRocksEmulatorOptions = {}): Promise<StarRocksEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const publicHost = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const now = opts.now ?? Date.now;
  const users = new Users(opts.users ?? { root: '' });
  const labels = new LabelRegistry(now);
  const alterJobs = new AlterJobs({ now, delayMs: opts.alterDelayMs ?? 0, nextTxnId: () => labels.peekNextTxnId() });
  const catalog = new Catalog(now, alterJobs);
  const board = new FaultBoard();
  const loads: LoadRecord[] = [];
  const beUrl = () => `http://${publicHost}:${be.port}`;

  // Port transitions (down/up) run one after another.
  let transition: Promise<void> = Promise.resolve();
  let upTimer: NodeJS.Timeout | undefined;
  const allPorts = () => [fe, be, sql];
  const bringUp = () => {
    clearTimeout(upTimer);
    transition = transition.then(() => Promise.all(allPorts().map((p) => p.up()))).then(() => undefined);
  };
  const takeDown = (ms: number | undefined) => {
    clearTimeout(upTimer);
    transition = transition.then(async () => {
      await Promise.all(allPorts().map((p) => p.down()));
      if (ms !== undefined) upTimer = setTimeout(bringUp, ms);
    });
  };

  const faults = {
    inject(input: Fault) {
      const fault = faultSchema.parse(input);
      if (fault.kind === 'down') takeDown(fault.ms);
      else if (fault.kind === 'label-stuck-running') labels.stick(fault.label, fault.db ?? null);
      else board.add(fault);
    },
    clear() {
      board.clear();
      labels.releaseAll();
      bringUp();
    },
    release(label: string) {
      labels.release(label);
    },
  };

  const fe = new PortListener(
    createFeServer({ users, catalog, labels, faults: board, beUrl, control: { ...faults, loads: () => loads } }),
    host,
  );
  const be = new PortListener(
    createBeServer({ users, catalog, labels, faults: board, errorLogs: new ErrorLogs(), loads, now, beUrl, host: publicHost }),
    host,
  );
  const sql = new PortListener(createMysqlServer({ users, catalog }), host);
  await be.listen(opts.bePort ?? 0);
  await fe.listen(opts.fePort ?? 0);
  await sql.listen(opts.mysqlPort ?? 0);

  return {
    feHttpPort: fe.port,
    beHttpPort: be.port,
    mysqlPort: sql.port,
    async execute(statement: string) {
      runStatement(catalog, { currentDb: null, user: 'root', connectionId: 0 }, statement);
    },
    async query(statement: string) {
      const result = runStatement(catalog, { currentDb: null, user: 'root', connectionId: 0 }, statement);
      if (result.kind !== 'rows') throw new Error(`${statement} answers no rows`);
      const names = result.result.columns.map((c) => c.name);
      return result.result.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] ?? null])));
    },
    rows(db: string, table: string) {
      const found = catalog.table(db, table);
      if (!found) throw new Error(`unknown table ${db}.${table}`);
      const names = found.schema.columns.map((c) => c.name);
      return found.store.rows().map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]!])));
    },
    faults,
    loads,
    async close() {
      clearTimeout(upTimer);
      alterJobs.close();
      await transition;
      await Promise.all(allPorts().map((p) => p.down()));
    },
  };
}
