// The test suite's entry point (`npm test`, `npm test -- test/some.test.ts --test-name-pattern=x`).
// Starts one Kafka broker and one Redis for all test files, unless K2S_TEST_KAFKA / K2S_TEST_REDIS
// already point at servers, runs node's test runner over the test files one at a time, stops the
// servers and exits with the runner's exit code.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafkaBroker, type KafkaBroker } from './harness/kafka-broker.ts';
import { startRedisServer, type RedisServer } from './harness/redis-server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const reporter = fileURLToPath(new URL('./summary-reporter.mjs', import.meta.url));

/** Sorted `*.test.ts` files under `dir`, relative to the repo root (Node 20's --test takes no globs). */
async function testFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.test.ts') && !entry.split('/').includes('node_modules'))
    .map((entry) => relative(root, join(dir, entry)))
    .sort();
}

/** Arguments naming existing files or folders choose the tests; all others go to node's test runner. */
async function parseArgs(args: string[]): Promise<{ files: string[]; runnerArgs: string[] }> {
  const chosen = args.filter((arg) => !arg.startsWith('-') && existsSync(arg));
  const runnerArgs = args.filter((arg) => !chosen.includes(arg));
  if (chosen.length === 0) return { files: await testFilesUnder(join(root, 'test')), runnerArgs };
  const files = await Promise.all(chosen.map((arg) => (statSync(arg).isDirectory() ? testFilesUnder(arg) : [arg])));
  return { files: files.flat(), runnerArgs };
}

function runTests(files: string[], runnerArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = [
    '--import', 'tsx',
    '--test',
    '--test-concurrency=1',
    // No --test-force-exit: it ends the run before the summary reporter prints. Every test must
    // disconnect its kafkajs clients instead (kafkajs 2.2.4 keeps a 1 ms timer armed per open
    // connection, kafkajs#1556, so a forgotten client keeps its file running).
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`, '--test-reporter-destination=stdout',
    ...runnerArgs,
    ...files,
  ];
  const runner = spawn(process.execPath, args, { stdio: 'inherit', env });
  // Ctrl-C reaches the runner by itself (same process group); a SIGTERM sent to us alone is passed on.
  // Either way the runner ends and the servers are stopped below.
  const forward = (signal: NodeJS.Signals) => runner.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolve) => {
    runner.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    runner.once('error', () => resolve(1));
  });
}

const { files, runnerArgs } = await parseArgs(process.argv.slice(2));
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

let broker: KafkaBroker | undefined;
let redis: RedisServer | undefined;
const started = Date.now();
const [kafkaBootstrap, redisUrl] = await Promise.all([
  process.env.K2S_TEST_KAFKA ?? startKafkaBroker().then((server) => (broker = server).bootstrap),
  process.env.K2S_TEST_REDIS ?? startRedisServer().then((server) => (redis = server).url),
]);
if (broker || redis) console.error(`Test servers ready in ${Date.now() - started} ms: Kafka ${kafkaBootstrap}, Redis ${redisUrl}`);

try {
  process.exitCode = await runTests(files, runnerArgs, { ...process.env, K2S_TEST_KAFKA: kafkaBootstrap, K2S_TEST_REDIS: redisUrl });
} finally {
  await Promise.all([broker?.close(), redis?.close()]);
}
