import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from './free-port.ts';
import { kafkaClasspath } from './kafka-jars.ts';
import { makeTempDir, retryOnPortTaken, runToCompletion, spawnServer, waitForReady, type ServerProcess } from './server-process.ts';

/** A real single-node Kafka (KRaft, broker and controller in one JVM) with its data in a temp dir. */
export interface KafkaBroker {
  /** `host:port` for Kafka clients. */
  bootstrap: string;
  stop(): Promise<void>;
  /** Restarts a stopped broker on the same port, with the same data. */
  start(): Promise<void>;
  /** Stops the broker and deletes its data. */
  close(): Promise<void>;
}

/**
 * Listeners beyond the plaintext one (which stays the inter-broker listener and the one
 * `bootstrap` names): `ports` free ports for them, `dir` the broker's own temp dir for files they
 * need (certificates). The format arguments go to Kafka's storage tool (e.g. `--add-scram`).
 */
export interface ExtraListeners {
  ports: number;
  configure(ports: number[], dir: string): Promise<{ listeners: Record<string, { port: number; protocol: string }>; settings: Record<string, string | number | boolean>; formatArgs: string[] }>;
}

const readyTimeoutMs = 90_000;
const stopGraceMs = 30_000;

export function startKafkaBroker(extra?: ExtraListeners): Promise<KafkaBroker> {
  return retryOnPortTaken(() => startOnFreePorts(extra));
}

async function startOnFreePorts(extra?: ExtraListeners): Promise<KafkaBroker> {
  const classpath = await kafkaClasspath();
  const dir = makeTempDir('k2s-kafka-');
  const [port, controllerPort, ...extraPorts] = await freePorts(2 + (extra?.ports ?? 0));
  const bootstrap = `127.0.0.1:${port}`;
  const config = join(dir.path, 'server.properties');
  const logFile = join(dir.path, 'broker.log');
  const added = await extra?.configure(extraPorts, dir.path);
  await writeFile(config, serverProperties(port!, controllerPort!, join(dir.path, 'data'), added));
  await writeFile(join(dir.path, 'log4j2.properties'), log4jProperties);
  // A small, light JVM: tests send little data, and CI has two cores that the tests need too
  // (serial GC and the C1 compiler only spend less CPU than Kafka's G1 and C2 defaults).
  const java = (mainClass: string, ...args: string[]) => [
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dir.path, 'log4j2.properties')}`,
    '-cp',
    classpath,
    mainClass,
    ...args,
  ];

  let server: ServerProcess | undefined;
  const broker: KafkaBroker = {
    bootstrap,
    async start() {
      if (server) return;
      server = spawnServer('java', java('kafka.Kafka', config), logFile);
      await waitForReady(server, `Kafka broker at ${bootstrap}`, () => servesMetadata(bootstrap), readyTimeoutMs);
    },
    async stop() {
      await server?.stop(stopGraceMs);
      server = undefined;
    },
    async close() {
      await broker.stop();
      await dir.remove();
    },
  };
  try {
    // KRaft refuses to start on unformatted storage; --standalone makes this node the sole voter.
    await runToCompletion('java', java('kafka.tools.StorageTool', 'format', '--standalone', '--cluster-id', clusterId(), '--config', config, ...(added?.formatArgs ?? [])), logFile);
    await broker.start();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}

let shared: Promise<string> | undefined;

/** The broker tests use: K2S_TEST_KAFKA when set (test/run.ts sets it), else one broker per process. */
export function testKafkaBootstrap(): Promise<string> {
  const fromEnv = process.env.K2S_TEST_KAFKA;
  if (fromEnv) return Promise.resolve(fromEnv);
  // Never closed explicitly: server-process.ts kills it and deletes its data when the process exits.
  shared ??= startKafkaBroker().then((broker) => broker.bootstrap);
  return shared;
}

function serverProperties(port: number, controllerPort: number, dataDir: string, extra?: Awaited<ReturnType<ExtraListeners['configure']>>): string {
  const more = Object.entries(extra?.listeners ?? {});
  const advertised = [`PLAINTEXT://127.0.0.1:${port}`, ...more.map(([name, l]) => `${name}://127.0.0.1:${l.port}`)].join(',');
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    listeners: `${advertised},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': advertised,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...more.map(([name, l]) => `${name}:${l.protocol}`)].join(','),
    'log.dirs': dataDir,
    // One node: the internal topics must make do with one replica (topics default to 1 already).
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Fewer internal partitions: the first consumer group or transaction creates them, 50 by default.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    // Tests should see a consumer group form at once, and create every topic they use.
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    // Two cores on CI: no point in the default thread pools.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
    ...extra?.settings,
  };
  // Java reads .properties as ISO-8859-1: anything else goes in as a \u escape.
  const escape = (value: string) => value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Object.entries(settings).map(([key, value]) => `${key}=${escape(String(value))}\n`).join('');
}

// Kafka's usual format, written to stdout (which goes to broker.log); the config dump that every
// client and server config prints is left out, server.properties sits next to the log.
const log4jProperties = `
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
`;

/** A Kafka cluster id: 16 random bytes in URL-safe base64; Kafka never issues one starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** True once the broker answers a metadata request listing itself (it is then unfenced and serving). */
async function servesMetadata(bootstrap: string): Promise<boolean> {
  const admin = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
