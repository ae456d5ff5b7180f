// The benchmark and the console are compiled by no test of their own: a change to the code they
// call must still type-check there, or `npm run bench` breaks unseen (it did once, in issue 20).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('the sources, the console and the benchmark type-check', { timeout: 180_000 }, () => {
  const run = spawnSync('npm', ['run', '--silent', 'typecheck'], { cwd: root, encoding: 'utf8' })
  assert.equal(run.status, 0, `npm run typecheck failed:\n${run.stdout}${run.stderr}`)
})
