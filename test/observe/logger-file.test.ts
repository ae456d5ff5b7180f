import assert from 'node:assert/strict'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLogger } from '../../src/observe/logger.ts'

/** The node's log file names hosts, users and instances: only its owner may read it. */
test('the log file is created, or made, readable by its owner only (mode 600)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2s-log-'))
  const fresh = join(dir, 'fresh.log')
  const log = createLogger('file-test', { level: 'info', file: fresh })
  log.info('hello')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(statSync(fresh).mode & 0o777, 0o600)
  const old = join(dir, 'old.log')
  writeFileSync(old, '', { mode: 0o644 })
  createLogger('file-test', { level: 'info', file: old }).info('hello')
  assert.equal(statSync(old).mode & 0o777, 0o600)
})
