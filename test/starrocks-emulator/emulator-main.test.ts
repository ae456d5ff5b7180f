import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { test } from 'node:test';

/** `npm run emulator` as a user starts it: a port that is taken is one sentence and exit code 2. */
const run = promisify(execFile);

test('a taken port names the flag to change, without a stack trace', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const result = await run(process.execPath, ['--import', 'tsx', 'test/starrocks-emulator/main.ts', '--mysql-port', String(port)]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), `port ${port} on 127.0.0.1 is taken by another process: choose another with --mysql-port, or 0 for any free one`);
  } finally {
    taken.close();
  }
});
