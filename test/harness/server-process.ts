import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process (a test server or a one-shot tool) whose output goes to a log file. */
export interface ServerProcess {
  logFile: string;
  /** Resolves when the process has ended, e.g. `exit code 1` or `signal SIGKILL`. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL if it still runs after `graceMs`; resolves once it has ended. */
  stop(graceMs: number): Promise<void>;
}

/** A temp dir removed by `remove()`, or at process exit if nobody removed it. */
export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();

// Node's test runner waits for a test file's event loop to drain before it moves on, so servers are
// unref'd (a running broker must not hang a test file) and ended here instead: whatever a process
// started dies with it, even when it crashes, is killed, or never calls close().
function cleanUp(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
process.on('exit', cleanUp);
// A signal ends Node without running 'exit' handlers: clean up, then let the signal do what it would
// have done (unless someone else listens for it, like test/run.ts, which then decides).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanUp();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(path);
  return {
    path,
    async remove() {
      liveDirs.delete(path);
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Starts a long-running `command`; its stdout and stderr are appended to `logFile` (kept across restarts). */
export function spawnServer(command: string, args: string[], logFile: string): ServerProcess {
  const { child, exited } = startChild(command, args, logFile);
  // Ref'd again only while stop() awaits its end.
  child.unref();
  return {
    logFile,
    exited,
    async stop(graceMs) {
      if (!liveChildren.has(child)) return;
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a one-shot command to completion, throwing with its log tail unless it exits with 0. */
export async function runToCompletion(command: string, args: string[], logFile: string): Promise<void> {
  const outcome = await startChild(command, args, logFile).exited;
  if (outcome !== 'exit code 0') throw new Error(`${command} ${args.join(' ')}: ${outcome}\n${logTail(logFile)}`);
}

function startChild(command: string, args: string[], logFile: string): { child: ChildProcess; exited: Promise<string> } {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  liveChildren.add(child);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve(signal === null ? `exit code ${code}` : `signal ${signal}`);
    });
    // Spawn failures (e.g. ENOENT) emit only 'error', never 'exit'.
    child.once('error', (error) => {
      liveChildren.delete(child);
      resolve(`failed to start ${command}: ${error.message}`);
    });
  });
  return { child, exited };
}

/**
 * Polls `isReady` until it returns true. Fails fast with the server's log tail when the process
 * ends first, and stops the process when it is still not ready after `timeoutMs`.
 */
export async function waitForReady(
  server: ServerProcess,
  name: string,
  isReady: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let ended: string | undefined;
  void server.exited.then((outcome) => (ended = outcome));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ended !== undefined) throw new Error(`${name} ended before it was ready (${ended})\n${logTail(server.logFile)}`);
    if (await isReady()) return;
    if (Date.now() > deadline) {
      await server.stop(5_000);
      throw new Error(`${name} not ready after ${timeoutMs} ms\n${logTail(server.logFile)}`);
    }
    await sleep(100);
  }
}

function logTail(logFile: string, lines = 30): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return `--- last lines of ${logFile} ---\n${text.slice(-lines).join('\n')}`;
  } catch {
    return `(no log at ${logFile})`;
  }
}

/**
 * Runs `start` again, up to `attempts` times, while it fails because a port it picked was taken
 * before the server bound it: free ports come from the range the OS also hands to outgoing
 * connections, and a JVM takes a second or two to bind.
 */
export async function retryOnPortTaken<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}
