import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { makeTempDir, retryOnPortTaken, spawnServer, waitForReady, type ServerProcess } from './server-process.ts';

/** A private redis-server with its data dir in a temp dir. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Restarts a stopped server on the same port and data dir. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep data across stop()/start() in an append-only file; off by default (nothing is persisted). */
  appendonly?: boolean;
}

const readyTimeoutMs = 10_000;
const stopGraceMs = 10_000;

export function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  return retryOnPortTaken(() => startOnFreePort(opts));
}

async function startOnFreePort(opts: RedisServerOptions): Promise<RedisServer> {
  const dir = makeTempDir('k2s-redis-');
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir.path,
    '--save', '',
    // With appendonly, every write reaches the file before Redis replies, so even a killed server keeps it.
    ...(opts.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    '--logfile', '',
  ];
  const logFile = join(dir.path, 'redis.log');

  let server: ServerProcess | undefined;
  const redis: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (server) return;
      server = spawnServer('redis-server', args, logFile);
      await waitForReady(server, `redis-server on port ${port}`, () => answersPing(port), readyTimeoutMs);
    },
    async stop() {
      await server?.stop(stopGraceMs);
      server = undefined;
    },
    async close() {
      await redis.stop();
      await dir.remove();
    },
  };
  try {
    await redis.start();
  } catch (error) {
    await redis.close();
    throw new Error(`${(error as Error).message}\n(is redis-server installed? .ci/run installs it with apt-get)`);
  }
  return redis;
}

let shared: Promise<string> | undefined;

/** The Redis tests use: K2S_TEST_REDIS when set (test/run.ts sets it), else one server per process. */
export function testRedisUrl(): Promise<string> {
  const fromEnv = process.env.K2S_TEST_REDIS;
  if (fromEnv) return Promise.resolve(fromEnv);
  // Never closed explicitly: server-process.ts kills it and deletes its data when the process exits.
  shared ??= startRedisServer().then((redis) => redis.url);
  return shared;
}

/** A key prefix of its own for each test file (or test), so tests can share one Redis without clashing. */
export function testPrefix(name: string): string {
  return `k2s-test:${name}:${randomBytes(4).toString('hex')}`;
}

/** True when Redis answers PING with PONG (not while it is still loading its data). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
