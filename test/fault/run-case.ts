import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { instanceActivity } from '../../src/instances/instance-activity.ts';
import { instanceStore } from '../../src/instances/instance-store.ts';
import { redisKeys } from '../../src/redis-keys.ts';
import { secretBox } from '../../src/instances/secret-box.ts';
import { freePort } from '../harness/free-port.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { committedOffsets, createTopic, endOffsets } from '../harness/kafka-helpers.ts';
import { instanceFor } from '../harness/k2s-node.ts';
import { startRedisServer, type RedisServer } from '../harness/redis-server.ts';
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts';
import { startCluster, type Cluster } from './cluster.ts';
import { compareAll, type TableReport } from './compare.ts';
import type { Fault, FaultContext } from './faults.ts';
import { replay } from './oracle.ts';
import { mixInHugeMessage, mixInPoison, poisonProblems } from './poison.ts';
import { mixInSchemaChange } from './schema-change.ts';
import { createTableStatements, generateStream, mappingFor, prng, type StreamMessage } from './stream.ts';

/**
 * One fault-suite run: a fresh emulator and two fresh instances fed a seeded stream, K2S as real
 * processes (admin, two fetcher nodes, three loader workers; started once per environment, since
 * starting six Node processes costs more than most runs), one fault at a seeded moment, then the
 * tables compared with the oracle's replay.
 */
export interface FaultEnv {
  kafka: KafkaBroker;
  redis: RedisServer;
  cluster: Cluster;
  prefix: string;
  secretKey: Buffer;
  logDir: string;
  /** Runs so far, for instance names of their own. */
  runs: number;
  close(): Promise<void>;
}

const leaseMs = 5_000;
const loadTimeoutMs = 3_000;
const partitions = 4;

/** A Kafka broker and a Redis of the suite's own (faults stop and restart them), and the K2S cluster. */
export async function startFaultEnv(): Promise<FaultEnv> {
  const [kafka, redis] = await Promise.all([startKafkaBroker(), startRedisServer()]);
  const secretKey = randomBytes(32);
  const prefix = `k2s-fault:${randomBytes(3).toString('hex')}`;
  const logDir = join(tmpdir(), `k2s-fault-${prefix.slice(-6)}`);
  mkdirSync(logDir, { recursive: true });
  const cluster = startCluster({ redisUrl: redis.url, prefix, secretKeyHex: secretKey.toString('hex'), adminPort: await freePort(), leaseMs, logDir });
  return {
    kafka,
    redis,
    cluster,
    prefix,
    secretKey,
    logDir,
    runs: 0,
    async close() {
      await cluster.stop();
      await Promise.all([kafka.close(), redis.close()]);
    },
  };
}

export interface CaseOptions {
  fault: Fault;
  seed: number;
  /** Row changes over both instances. */
  rows: number;
  /** How long after the fault is healed the tables must be right. */
  deadlineMs?: number;
}

export interface CaseReport {
  fault: string;
  seed: number;
  rowsExpected: number;
  rowsFound: number;
  missing: number;
  duplicated: number;
  unexpected: number;
  quarantined: number;
  quarantineReasons: string[];
  /** From the fault's end until every row is visible and every offset committed; null: never. */
  recoveryMs: number | null;
  /** The whole run, set-up to tear-down excluded. */
  durationMs: number;
  notes: string[];
  problems: string[];
  tables: Array<TableReport & { instance: string }>;
  ok: boolean;
  logDir: string;
}

export async function runCase(env: FaultEnv, opts: CaseOptions): Promise<CaseReport> {
  const { fault, seed } = opts;
  const startedAt = Date.now();
  const random = prng(seed ^ 0x5eed);
  const run = ++env.runs;
  const tag = `${fault.name}-${seed}-${run}`;
  const notes: string[] = [];
  const keys = redisKeys(env.prefix);
  const redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  // It reconnects by itself when a fault restarts Redis.
  redis.on('error', () => {});
  // ALTER jobs that take their time, as StarRocks' do, so a fault can strike while one runs.
  const emulator = await startStarRocksEmulator({ alterDelayMs: fault.schemaChange ? 2_000 : 0 });
  const store = instanceStore(redis, keys, secretBox(env.secretKey));
  const activity = instanceActivity(redis, keys);
  const { cluster } = env;
  // Idempotent: on a busy machine a plain producer's retries wrote some messages twice, and the
  // oracle replays the stream as generated.
  const producer = new Kafka({ clientId: 'k2s-fault-producer', brokers: [env.kafka.bootstrap], logLevel: logLevel.NOTHING })
    .producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();

  const instances = ['a', 'b'].map((suffix, i) => {
    const name = `r${run}-${suffix}`;
    const db = `src_${suffix}`;
    let messages: StreamMessage[] = generateStream({ seed: seed * 2 + i, db, rows: Math.ceil(opts.rows / 2), partitions });
    if (fault.poison && i === 0) messages = mixInPoison(messages, db, partitions, random);
    if (fault.hugeMessageBytes && i === 0) messages = mixInHugeMessage(messages, db, partitions, random, fault.hugeMessageBytes);
    if (fault.schemaChange && i === 0) messages = mixInSchemaChange(messages, db, partitions, random);
    return { name, db, topic: `${tag}-${suffix}`, partitions, messages };
  });

  for (const inst of instances) {
    for (const sql of createTableStatements(inst.db)) await emulator.execute(sql);
    const maxMessageBytes = Math.max(...inst.messages.map((m) => m.value.length)) + 1024 * 1024;
    await createTopic(env.kafka.bootstrap, inst.topic, partitions, { 'max.message.bytes': String(maxMessageBytes) });
    await store.saveMappingEnv(mappingFor(inst.name, inst.db, fault.schemaChange && inst === instances[0] ? 'apply' : 'ignore'));
    await store.saveInstance(
      instanceFor(emulator, {
        name: inst.name,
        kafkaBootstrap: env.kafka.bootstrap,
        topics: [inst.topic],
        mappingEnv: inst.name,
        commitBatch: 200,
        loadTimeoutMs,
        retryBackoffMaxMs: 1_000,
      }),
    );
  }

  // The producer: half of each stream before the fault, the rest in chunks while it happens.
  let gate: Promise<void> = Promise.resolve();
  let openGate = () => {};
  let sending: Promise<unknown> = Promise.resolve();
  let producing: Promise<void> = Promise.resolve();
  const send = async (inst: (typeof instances)[number], from: number, to: number) => {
    await gate;
    sending = producer.send({ topic: inst.topic, acks: -1, messages: inst.messages.slice(from, to).map(({ partition, value }) => ({ partition, value })) });
    await sending;
  };
  const ctx: FaultContext = {
    cluster,
    emulator,
    kafka: env.kafka,
    redisServer: env.redis,
    redis,
    keys,
    leaseMs,
    loadTimeoutMs,
    random,
    instances: instances.map(({ name, topic, db }) => ({ name, topic, db, partitions })),
    async holdProducer() {
      gate = new Promise((resolve) => (openGate = resolve));
      await sending;
    },
    releaseProducer: () => openGate(),
    note: (text) => notes.push(text),
  };

  let healedAt = 0;
  let recoveryMs: number | null = null;
  const problems: string[] = [];
  try {
    for (const inst of instances) await send(inst, 0, Math.floor(inst.messages.length / 2));
    for (const inst of instances) await store.startInstance(inst.name);
    await waitFor('both instances loading', () => emulator.loads.length > 0, 60_000);
    producing = (async () => {
      const chunks = 6;
      for (let c = 0; c < chunks; c++) {
        for (const inst of instances) {
          const half = Math.floor(inst.messages.length / 2);
          const step = Math.ceil((inst.messages.length - half) / chunks);
          await send(inst, half + c * step, Math.min(inst.messages.length, half + (c + 1) * step));
        }
        await sleep(300);
      }
    })();
    await sleep(Math.floor(random() * 2_000));
    await fault.run(ctx);
    healedAt = Date.now();
    await producing;
    for (const inst of instances) {
      const ends = await endOffsets(env.kafka.bootstrap, inst.topic);
      const sent = [...ends.keys()].map((p) => inst.messages.filter((m) => m.partition === p).length);
      if ([...ends.values()].some((end, p) => end !== BigInt(sent[p]!))) throw new Error(`${inst.topic}: Kafka holds ${[...ends.values()].join(',')} messages per partition, ${sent.join(',')} were sent`);
    }

    const expected = instances.map((inst) => replay(inst.db, inst.messages));
    const deadline = healedAt + (opts.deadlineMs ?? 120_000);
    for (;;) {
      const tables = instances.flatMap((inst, i) => compareAll(expected[i]!, (t) => emulator.rows(inst.db, t)));
      const right = tables.every((t) => t.missing === 0 && t.unexpected === 0 && (fault.allowsDuplicates || t.duplicated === 0));
      if (right && (await allCommitted(env.kafka.bootstrap, instances))) {
        recoveryMs = Date.now() - healedAt;
        break;
      }
      if (Date.now() > deadline) {
        problems.push(`not converged ${Math.round((deadline - healedAt) / 1000)} s after the fault ended`);
        break;
      }
      await sleep(250);
    }
    // Late arrivals (a stale job re-run, a zombie fetcher) would show now.
    await sleep(1_500);
    const tables = instances.flatMap((inst, i) => compareAll(expected[i]!, (t) => emulator.rows(inst.db, t)).map((r) => ({ ...r, instance: inst.name })));
    const quarantine = (await Promise.all(instances.map((inst) => activity.quarantined(inst.name)))).flat();
    if (fault.poison) {
      problems.push(...poisonProblems(instances[0]!.db, quarantine, await activity.skippedBySource(instances[0]!.name)));
    } else if (quarantine.length > 0) {
      problems.push(`quarantine should be empty: ${quarantine.map((q) => q.reason).join('; ')}`);
    }
    const sum = (f: (t: TableReport) => number) => tables.reduce((n, t) => n + f(t), 0);
    const report: CaseReport = {
      fault: fault.name,
      seed,
      rowsExpected: sum((t) => t.expected),
      rowsFound: sum((t) => t.found),
      missing: sum((t) => t.missing),
      duplicated: sum((t) => t.duplicated),
      unexpected: sum((t) => t.unexpected),
      quarantined: quarantine.length,
      quarantineReasons: quarantine.map((q) => `${q.table || q.topic}: ${q.reason}`),
      recoveryMs,
      durationMs: Date.now() - startedAt,
      notes,
      problems,
      tables,
      ok: false,
      logDir: env.logDir,
    };
    if (report.duplicated > 0) notes.push(...loadHistory(emulator.loads));
    if (report.missing > 0) problems.push(`${report.missing} rows missing`);
    if (report.unexpected > 0) problems.push(`${report.unexpected} unexpected rows`);
    if (report.duplicated > 0 && !fault.allowsDuplicates) problems.push(`${report.duplicated} rows duplicated`);
    report.ok = problems.length === 0;
    return report;
  } finally {
    openGate();
    await producer.disconnect();
    cluster.heal();
    for (const inst of instances) await store.stopInstance(inst.name).catch(() => {});
    emulator.faults.clear();
    await emulator.close();
    redis.disconnect();
  }
}

async function allCommitted(bootstrap: string, instances: Array<{ name: string; topic: string }>): Promise<boolean> {
  try {
    for (const inst of instances) {
      const [ends, committed] = await Promise.all([endOffsets(bootstrap, inst.topic), committedOffsets(bootstrap, `k2s-${inst.name}`, inst.topic)]);
      if (![...ends].every(([p, end]) => end === 0n || committed.get(p) === end)) return false;
    }
    return true;
  } catch {
    return false; // the broker is still coming back
  }
}

async function waitFor(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** For a run with duplicates: labels StarRocks accepted more than once, and loads per table. */
function loadHistory(loads: StarRocksEmulator['loads']): string[] {
  const accepted = new Map<string, number>();
  for (const l of loads) if (l.status === 'Success' || l.status === 'Publish Timeout') accepted.set(l.label, (accepted.get(l.label) ?? 0) + 1);
  const twice = [...accepted].filter(([, n]) => n > 1).map(([label]) => label);
  return [
    `labels accepted twice: ${twice.length === 0 ? 'none' : twice.join(', ')}`,
    ...loads.filter((l) => l.table === 'events').map((l) => `  ${l.status} ${l.label} rows ${l.totalRows}`),
  ];
}
