import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startAdminServer } from '../../api/serve.ts';
import { createLogger } from '../../src/observe/logger.ts';
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts';
import { testKafkaBootstrap } from './kafka-broker.ts';
import { k2sUnderTest, type K2sUnderTest } from './k2s-node.ts';
import { testPrefix, testRedisUrl } from './redis-server.ts';

/**
 * What the web console runs against in tests and screenshots: the shared Kafka and Redis, a
 * StarRocks emulator (user `loader` with a password), a real admin server on a free port, consumer
 * nodes in this process, and `k2s node` child processes that can be killed.
 */
export const consoleUser = 'admin';
export const consolePassword = 'console-Pa55-for-tests';
export const loaderPassword = 'sr-Loader-Secret-77';
export const leaseMs = 2_000;

export type ConsoleStack = {
  url: string;
  kafka: string;
  emulator: StarRocksEmulator;
  k2s: K2sUnderTest;
  prefix: string;
  /** A `k2s node` process on the stack's Redis prefix; resolves once it has registered. */
  spawnNode(name: string): Promise<ChildProcess>;
  close(): Promise<void>;
};

export async function startConsoleStack(name: string): Promise<ConsoleStack> {
  const kafka = await testKafkaBootstrap();
  const redisUrl = await testRedisUrl();
  const prefix = testPrefix(name);
  const secretKey = randomBytes(32);
  const emulator = await startStarRocksEmulator({ users: { root: '', loader: loaderPassword } });
  await emulator.execute('CREATE DATABASE dw');
  const log = createLogger('console-test', { level: process.env.K2S_TEST_LOG_LEVEL ?? 'silent' });
  const admin = await startAdminServer({
    redisUrl,
    prefix,
    secretKey,
    host: '127.0.0.1',
    port: 0,
    auth: { adminUser: consoleUser, adminPassword: consolePassword },
    leaseMs,
    log,
  });
  const k2s = await k2sUnderTest(redisUrl, prefix, secretKey);
  const children: ChildProcess[] = [];
  return {
    url: admin.url,
    kafka,
    emulator,
    k2s,
    prefix,
    async spawnNode(nodeName) {
      const out = openSync(join(tmpdir(), `${prefix.replace(/:/g, '-')}-${nodeName}.log`), 'a');
      const child = spawn(process.execPath, ['bin/k2s.mjs', 'node'], {
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          K2S_REDIS_URL: redisUrl,
          K2S_REDIS_PREFIX: prefix,
          K2S_SECRET_KEY: secretKey.toString('hex'),
          K2S_NODE_NAME: nodeName,
          K2S_CLUSTER: 'beta',
          K2S_NODE_PORT: '0',
          K2S_LEASE_MS: String(leaseMs),
          K2S_LOG_LEVEL: 'info',
        },
      });
      children.push(child);
      // A child process compiles its TypeScript first: on a busy machine that alone can take 20 s.
      const deadline = Date.now() + 60_000;
      while (!(await k2s.redis.sismember(`${prefix}:nodes`, nodeName))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`k2s node ${nodeName} did not register`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return child;
    },
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await k2s.close();
      await admin.close();
      await emulator.close();
    },
  };
}

/** Headless Chromium (Debian's package) through playwright-core; the flags keep it off the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.K2S_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
