import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * K2S as an operator deploys it, as real processes: `k2s admin`, two fetcher nodes
 * (`k2s node --no-loader`) and three loader workers (`k2s node --no-fetcher`). Any of them can be
 * killed with SIGKILL, frozen with SIGSTOP, and started again with the same name and settings.
 */
export type Role = 'admin' | 'fetcher' | 'worker';

export interface Member {
  name: string;
  role: Role;
  /** Alive and not frozen. */
  running(): boolean;
}

export interface Cluster {
  members: Member[];
  logDir: string;
  kill(name: string): Promise<void>;
  start(name: string): void;
  freeze(name: string): void;
  thaw(name: string): void;
  /** Thaws the frozen and starts the missing, whatever a fault left behind. */
  heal(): void;
  stop(): Promise<void>;
}

const bin = fileURLToPath(new URL('../../bin/k2s.mjs', import.meta.url));
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.on('exit', killAll);
// A signal ends Node without running 'exit' handlers: clean up, then let the last listener (this
// one or server-process.ts') raise it again.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

export interface ClusterOptions {
  redisUrl: string;
  prefix: string;
  secretKeyHex: string;
  adminPort: number;
  leaseMs: number;
  logDir: string;
}

export function startCluster(opts: ClusterOptions): Cluster {
  const layout: Array<{ name: string; role: Role; args: string[] }> = [
    { name: 'admin', role: 'admin', args: ['admin'] },
    { name: 'fetcher-1', role: 'fetcher', args: ['node', '--no-loader'] },
    { name: 'fetcher-2', role: 'fetcher', args: ['node', '--no-loader'] },
    { name: 'worker-1', role: 'worker', args: ['node', '--no-fetcher', '--concurrency', '4'] },
    { name: 'worker-2', role: 'worker', args: ['node', '--no-fetcher', '--concurrency', '4'] },
    { name: 'worker-3', role: 'worker', args: ['node', '--no-fetcher', '--concurrency', '4'] },
  ];
  const children = new Map<string, ChildProcess>();
  const frozen = new Set<string>();
  const env = {
    ...process.env,
    K2S_REDIS_URL: opts.redisUrl,
    K2S_REDIS_PREFIX: opts.prefix,
    K2S_SECRET_KEY: opts.secretKeyHex,
    K2S_LEASE_MS: String(opts.leaseMs),
    K2S_LOG_LEVEL: process.env.K2S_FAULT_LOG_LEVEL ?? 'info',
    K2S_ADMIN_HOST: '127.0.0.1',
    K2S_ADMIN_PORT: String(opts.adminPort),
    K2S_ADMIN_PASSWORD: 'fault-suite-Pa55',
    // Several nodes on one machine: each node's port (health, logs) is any free one.
    K2S_NODE_PORT: '0',
  };

  const start = (name: string) => {
    const spec = layout.find((m) => m.name === name)!;
    if (children.has(name)) return;
    const log = openSync(join(opts.logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [bin, ...spec.args], { stdio: ['ignore', log, log], env: { ...env, K2S_NODE_NAME: name } });
    closeSync(log);
    live.add(child);
    children.set(name, child);
    child.once('exit', () => {
      live.delete(child);
      if (children.get(name) === child) children.delete(name);
    });
  };
  for (const { name } of layout) start(name);

  const kill = async (name: string) => {
    const child = children.get(name);
    if (!child) return;
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await ended;
    frozen.delete(name);
  };

  return {
    members: layout.map(({ name, role }) => ({ name, role, running: () => children.has(name) && !frozen.has(name) })),
    logDir: opts.logDir,
    kill,
    start,
    freeze(name) {
      children.get(name)?.kill('SIGSTOP');
      frozen.add(name);
    },
    thaw(name) {
      children.get(name)?.kill('SIGCONT');
      frozen.delete(name);
    },
    heal() {
      for (const { name } of layout) {
        if (frozen.has(name)) children.get(name)?.kill('SIGCONT');
        frozen.delete(name);
        start(name);
      }
    },
    async stop() {
      await Promise.all(layout.map(({ name }) => kill(name)));
    },
  };
}
