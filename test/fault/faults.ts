import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { loadLabel } from '../../src/starrocks/load-label.ts';
import type { RedisKeys } from '../../src/redis-keys.ts';
import type { KafkaBroker } from '../harness/kafka-broker.ts';
import type { RedisServer } from '../harness/redis-server.ts';
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts';
import type { Cluster } from './cluster.ts';
import { schemaChangeTable } from './schema-change.ts';
import { faultTables } from './stream.ts';

/**
 * One fault each: inject at the moment the runner chose, hold it, heal it. A fault resolves once
 * healed; the runner measures recovery from then. `allowsDuplicates` marks the one case where
 * docs/design.md settles for at-least-once (Redis lost writes it had acknowledged).
 */
export interface FaultContext {
  cluster: Cluster;
  emulator: StarRocksEmulator;
  kafka: KafkaBroker;
  redisServer: RedisServer;
  redis: Redis;
  keys: RedisKeys;
  leaseMs: number;
  loadTimeoutMs: number;
  random: () => number;
  /** The instances under test, each with its topic and target database. */
  instances: Array<{ name: string; topic: string; db: string; partitions: number }>;
  /** Producing waits while this is closed (a stopped broker would make the producer retry and duplicate). */
  holdProducer(): Promise<void>;
  releaseProducer(): void;
  note(text: string): void;
}

export interface Fault {
  name: string;
  /** Only in the by-hand long run: too slow for CI, or needs a broker set up for huge messages. */
  long?: boolean;
  allowsDuplicates?: boolean;
  poison?: boolean;
  /** The first stream gets canal DDL (schema-change.ts) and its rules the policy `apply`. */
  schemaChange?: boolean;
  /** A message this big (a valid canal INSERT) goes into the stream; it must load whole. */
  hugeMessageBytes?: number;
  run(ctx: FaultContext): Promise<void>;
}

const pickOne = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const workers = (ctx: FaultContext) => ctx.cluster.members.filter((m) => m.role === 'worker').map((m) => m.name);

async function ownerOf(ctx: FaultContext, instance: string): Promise<string> {
  for (;;) {
    const owner = await ctx.redis.get(ctx.keys.owner(instance));
    if (owner) return owner;
    await sleep(100);
  }
}

/** A StarRocks fault switched on for `ms`, then cleared. */
function starRocks(name: string, ms: number, inject: (ctx: FaultContext) => void): Fault {
  return {
    name,
    async run(ctx) {
      inject(ctx);
      await sleep(ms);
      ctx.emulator.faults.clear();
    },
  };
}

/** The broker stopped for `ms` (the producer held meanwhile), then started on the same data. */
function kafkaDown(name: string, ms: number): Fault {
  return {
    name,
    async run(ctx) {
      await ctx.holdProducer();
      await ctx.kafka.stop();
      await sleep(ms);
      await ctx.kafka.start();
      ctx.releaseProducer();
    },
  };
}

export const faults: readonly Fault[] = [
  {
    name: 'kill-worker',
    async run(ctx) {
      const victim = pickOne(ctx.random, workers(ctx));
      ctx.note(`killed ${victim}`);
      await ctx.cluster.kill(victim);
      await sleep(1_000);
      ctx.cluster.start(victim);
    },
  },
  {
    // StarRocks commits, then holds its reply: every worker dies while loads are committed but
    // their jobs not completed. The re-run must meet `Label Already Exists` and load nothing twice.
    name: 'kill-workers-after-commit',
    async run(ctx) {
      const before = ctx.emulator.loads.length;
      ctx.emulator.faults.inject({ kind: 'slow', at: 'be', applied: true, ms: 5_000 });
      while (ctx.emulator.loads.length === before) await sleep(50);
      await sleep(300);
      ctx.note(`${ctx.emulator.loads.length - before} loads committed and unanswered`);
      await Promise.all(workers(ctx).map((w) => ctx.cluster.kill(w)));
      ctx.emulator.faults.clear();
      await sleep(1_000);
      for (const w of workers(ctx)) ctx.cluster.start(w);
    },
  },
  {
    // The fetcher queued a job and dies before it can commit the offset; the job completes anyway.
    // The node that takes over must cut the recorded range again, so the labels repeat.
    name: 'kill-fetcher-after-enqueue',
    async run(ctx) {
      const instance = pickOne(ctx.random, ctx.instances).name;
      ctx.emulator.faults.inject({ kind: 'slow', at: 'be', applied: true, ms: 1_500 });
      await sleep(500);
      const victim = await ownerOf(ctx, instance);
      ctx.note(`killed ${victim} (running ${instance})`);
      await ctx.cluster.kill(victim);
      ctx.emulator.faults.clear();
      await sleep(2 * ctx.leaseMs);
      ctx.cluster.start(victim);
    },
  },
  {
    name: 'kill-admin',
    async run(ctx) {
      await ctx.cluster.kill('admin');
      await sleep(1_000);
      ctx.cluster.start('admin');
    },
  },
  {
    name: 'kill-all',
    async run(ctx) {
      await Promise.all(ctx.cluster.members.map((m) => ctx.cluster.kill(m.name)));
      await sleep(1_000);
      for (const m of ctx.cluster.members) ctx.cluster.start(m.name);
    },
  },
  {
    // A fetcher node frozen past its lease and Kafka's session: the other node takes its instance
    // and the partitions move; then the frozen one wakes up still holding its old batches.
    name: 'freeze-fetcher',
    async run(ctx) {
      const instance = pickOne(ctx.random, ctx.instances).name;
      const victim = await ownerOf(ctx, instance);
      ctx.note(`froze ${victim} (running ${instance})`);
      ctx.cluster.freeze(victim);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const owner = await ctx.redis.get(ctx.keys.owner(instance));
        if (owner && owner !== victim) break;
        await sleep(200);
      }
      // Past Kafka's session timeout (10 s), so the group has moved on without it.
      await sleep(11_000);
      ctx.cluster.thaw(victim);
    },
  },
  {
    // A worker frozen mid-load past its job lock: another worker runs the job again; the frozen
    // one wakes up later and finishes its Stream Loads, after newer batches may have loaded.
    name: 'freeze-worker',
    async run(ctx) {
      const victim = pickOne(ctx.random, workers(ctx));
      ctx.emulator.faults.inject({ kind: 'slow', at: 'be', applied: false, ms: 1_000, times: 10 });
      await sleep(300);
      ctx.note(`froze ${victim}`);
      ctx.cluster.freeze(victim);
      ctx.emulator.faults.clear();
      await sleep(16_000);
      ctx.cluster.thaw(victim);
    },
  },
  kafkaDown('kafka-restart', 2_000),
  // Three times the consumer's session timeout, and longer than kafkajs' request retries.
  { ...kafkaDown('kafka-down-30s', 30_000), long: true },
  {
    // A Redis without persistence of its latest writes: it comes back from a snapshot taken a
    // moment before it died, with jobs, ranges and leases as they were then.
    name: 'redis-restart',
    allowsDuplicates: true,
    async run(ctx) {
      await ctx.redis.save();
      await sleep(1_500);
      await ctx.redisServer.stop();
      await sleep(500);
      await ctx.redisServer.start();
    },
  },
  starRocks('sr-too-many-versions', 3_000, (ctx) => ctx.emulator.faults.inject({ kind: 'too-many-versions' })),
  starRocks('sr-memory-limit', 3_000, (ctx) => ctx.emulator.faults.inject({ kind: 'memory-limit' })),
  starRocks('sr-publish-timeout', 3_000, (ctx) => ctx.emulator.faults.inject({ kind: 'publish-timeout', visibleAfterMs: 1_500 })),
  starRocks('sr-no-backend', 3_000, (ctx) => ctx.emulator.faults.inject({ kind: 'no-backend' })),
  starRocks('sr-slow-past-timeout', 4_000, (ctx) => {
    ctx.emulator.faults.inject({ kind: 'slow', at: 'be', applied: true, ms: ctx.loadTimeoutMs + 1_500, times: 3 });
    ctx.emulator.faults.inject({ kind: 'slow', at: 'be', applied: false, ms: ctx.loadTimeoutMs + 1_500, times: 3 });
  }),
  starRocks('sr-connection-reset', 3_000, (ctx) => {
    ctx.emulator.faults.inject({ kind: 'reset', applied: true, times: 5 });
    ctx.emulator.faults.inject({ kind: 'reset', applied: false, times: 5 });
  }),
  {
    // The labels of the batches in flight answer RUNNING for a while, as after a lost reply.
    name: 'sr-label-stuck-running',
    async run(ctx) {
      let stuck = 0;
      for (const inst of ctx.instances) {
        for (let partition = 0; partition < inst.partitions; partition++) {
          // The batch loading and the next one, cut while it loads.
          for (const text of await ctx.redis.lrange(ctx.keys.batchRanges(inst.name, inst.topic, partition), 0, -1)) {
            const range = JSON.parse(text) as { epoch: number; firstOffset: string; lastOffset: string };
            for (const t of faultTables) {
              const label = loadLabel({ prefix: 'k2s', instance: inst.name, topic: inst.topic, partition, ...range, database: inst.db, table: t.name });
              ctx.emulator.faults.inject({ kind: 'label-stuck-running', label });
              stuck++;
            }
          }
        }
      }
      ctx.note(`${stuck} labels stuck`);
      await sleep(5_000);
      ctx.emulator.faults.clear();
    },
  },
  {
    name: 'sr-down',
    async run(ctx) {
      ctx.emulator.faults.inject({ kind: 'down' });
      await sleep(8_000);
      ctx.emulator.faults.clear();
    },
  },
  {
    name: 'sr-down-5min',
    long: true,
    async run(ctx) {
      ctx.emulator.faults.inject({ kind: 'down' });
      await sleep(5 * 60_000);
      ctx.emulator.faults.clear();
    },
  },
  {
    // canal's ALTER TABLE … ADD COLUMN in every partition, applied by K2S: every worker is killed
    // while StarRocks' ALTER job runs, after the DDL and before the rows that carry the column.
    name: 'schema-change',
    schemaChange: true,
    async run(ctx) {
      const db = ctx.instances[0]!.db;
      while ((await ctx.emulator.query(`SHOW ALTER TABLE COLUMN FROM ${db} WHERE TableName = '${schemaChangeTable}'`)).length === 0) await sleep(20);
      ctx.note('ALTER job started: every worker killed');
      await Promise.all(workers(ctx).map((w) => ctx.cluster.kill(w)));
      await sleep(1_000);
      for (const w of workers(ctx)) ctx.cluster.start(w);
    },
  },
  {
    // No outage: the stream itself carries invalid JSON, an unmapped table and a row StarRocks filters.
    name: 'poison',
    poison: true,
    async run() {},
  },
  {
    name: 'message-50mb',
    long: true,
    hugeMessageBytes: 50 * 1024 * 1024,
    async run() {},
  },
];

export function faultNamed(name: string): Fault {
  const fault = faults.find((f) => f.name === name);
  if (!fault) throw new Error(`unknown fault ${name}; known: ${faults.map((f) => f.name).join(', ')}`);
  return fault;
}
