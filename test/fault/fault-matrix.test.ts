import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { faults } from './faults.ts'
import { runCase, startFaultEnv, type CaseReport, type FaultEnv } from './run-case.ts'

/**
 * The fault suite's short fixed-seed matrix (issue #6): K2S as real processes (admin, two fetcher
 * nodes, three loader workers), one fault per case at a seeded moment, and the emulator's tables
 * compared with the oracle's replay of the stream. Any missing, stale or (except where Redis lost
 * acknowledged writes) duplicated row fails. The long run: `npm run faults` (README).
 */
const rows = 1_600
let env: FaultEnv

before(async () => {
  env = await startFaultEnv()
})

after(async () => {
  await env?.close()
})

function describeFailure(r: CaseReport): string {
  const tables = r.tables.filter((t) => t.samples.length > 0).map((t) => `  ${t.instance} ${t.table}: ${t.samples.join(' | ')}`)
  return [`${r.fault} seed ${r.seed}: ${r.problems.join('; ')}`, ...r.notes, ...tables, `logs: ${r.logDir}`].join('\n')
}

faults.filter((f) => !f.long).forEach((fault, i) => {
  test(`${fault.name}: every row change applied exactly once`, async () => {
    const report = await runCase(env, { fault, seed: 600 + i, rows, deadlineMs: 90_000 })
    assert.equal(report.rowsExpected > 0, true)
    assert.deepEqual(report.problems, [], describeFailure(report))
    assert.equal(report.missing, 0)
    assert.equal(report.unexpected, 0)
    if (!fault.allowsDuplicates) assert.equal(report.duplicated, 0)
    if (!fault.poison) assert.equal(report.quarantined, 0)
  })
})
