/**
 * Schema changes as asynchronous jobs (§7.3): ALTER TABLE returns at once with a PENDING job; the
 * job goes RUNNING, then FINISHED after `delayMs` (fast schema evolution), when the new columns
 * are installed and stored rows reshaped. While it runs the table is not NORMAL. Jobs are listed
 * by SHOW ALTER TABLE COLUMN (§7.1).
 */
import type { Table } from './catalog.ts';
import type { ColumnType } from './column-type.ts';
import type { ColumnSchema } from './schema.ts';
import type { ResultSet } from './select-engine.ts';
import { SqlError, ER_PARSE } from './sql-error.ts';

type JobState = 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELLED';

interface AlterJob {
  jobId: number;
  db: string;
  table: Table;
  createTime: number;
  finishTime: number | null;
  state: JobState;
  msg: string;
  schemaVersion: number;
  transactionId: number;
  timeoutSeconds: number;
  columns: ColumnSchema[];
  timer: NodeJS.Timeout | undefined;
}

/** FE `alter_table_timeout_second`. */
const DEFAULT_TIMEOUT_SECONDS = 86400;
const TEXT: ColumnType = { kind: 'varchar', length: 65533 };
const NUMBER: ColumnType = { kind: 'integer', name: 'BIGINT' };

export interface AlterJobsOptions {
  now: () => number;
  /** How long a job takes from PENDING to FINISHED; RUNNING from half of it. */
  delayMs: number;
  /** The next transaction id: a job's watershed `TransactionId`. */
  nextTxnId: () => number;
}

export class AlterJobs {
  private readonly jobs: AlterJob[] = [];
  private nextJobId = 20001;

  constructor(private readonly opts: AlterJobsOptions) {}

  /** Refuses an ALTER while the table's previous job runs (its state is SCHEMA_CHANGE). */
  checkNormal(table: Table): void {
    const running = this.jobs.some((j) => j.table === table && (j.state === 'PENDING' || j.state === 'RUNNING'));
    if (running) throw new SqlError(ER_PARSE, `Table[${table.schema.name}]'s state is not NORMAL. Do not allow doing ALTER ops`);
  }

  /** Starts a job that installs `columns`. */
  submit(db: string, table: Table, columns: ColumnSchema[], timeoutSeconds: number | null): void {
    const job: AlterJob = {
      jobId: this.nextJobId++,
      db,
      table,
      createTime: this.opts.now(),
      finishTime: null,
      state: 'PENDING',
      msg: '',
      schemaVersion: this.jobs.filter((j) => j.table === table && j.state === 'FINISHED').length + 1,
      transactionId: this.opts.nextTxnId(),
      timeoutSeconds: timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      columns,
      timer: undefined,
    };
    this.jobs.push(job);
    const { delayMs } = this.opts;
    job.timer = setTimeout(() => {
      job.state = 'RUNNING';
      job.timer = setTimeout(() => this.finish(job), delayMs - Math.floor(delayMs / 2));
    }, Math.floor(delayMs / 2));
  }

  /** A dropped table's unfinished jobs end CANCELLED. */
  cancel(table: Table): void {
    for (const job of this.jobs) {
      if (job.table !== table || !(job.state === 'PENDING' || job.state === 'RUNNING')) continue;
      clearTimeout(job.timer);
      job.state = 'CANCELLED';
      job.msg = `table ${table.schema.name} is dropped`;
      job.finishTime = this.opts.now();
    }
  }

  /**
   * SHOW ALTER TABLE COLUMN of one database, by JobId. SHOW columns are VARCHAR on the wire; ids
   * sort as numbers. A fast schema evolution job has no shadow index: IndexName/IndexId are the
   * base index's, SchemaVersion `<version>:0` ([unconfirmed] values of those columns).
   */
  view(db: string): ResultSet {
    const text = (name: string) => ({ name, type: TEXT });
    const id = (name: string) => ({ name, type: TEXT, orderAs: NUMBER });
    const rows = this.jobs
      .filter((j) => j.db === db)
      .map((j) => {
        const baseIndexId = String(j.table.id + 1);
        return [
          String(j.jobId),
          j.table.schema.name,
          formatTime(j.createTime),
          j.finishTime === null ? null : formatTime(j.finishTime),
          j.table.schema.name,
          baseIndexId,
          baseIndexId,
          `${j.schemaVersion}:0`,
          String(j.transactionId),
          j.state,
          j.msg,
          null,
          String(j.timeoutSeconds),
        ];
      });
    return {
      columns: [
        id('JobId'),
        text('TableName'),
        text('CreateTime'),
        text('FinishTime'),
        text('IndexName'),
        id('IndexId'),
        id('OriginIndexId'),
        text('SchemaVersion'),
        id('TransactionId'),
        text('State'),
        text('Msg'),
        text('Progress'),
        id('Timeout'),
      ],
      rows,
    };
  }

  close(): void {
    for (const job of this.jobs) clearTimeout(job.timer);
  }

  private finish(job: AlterJob): void {
    const { table } = job;
    const previous = table.schema.columns;
    table.schema.columns = job.columns;
    table.store.reshape(previous);
    job.state = 'FINISHED';
    job.finishTime = this.opts.now();
  }
}

/** `TimeUtils.longToTimeString`: `yyyy-MM-dd HH:mm:ss` in the FE's time zone. */
function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
