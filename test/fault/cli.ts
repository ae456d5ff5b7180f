// By hand: npm run faults -- --seed 42 --count 20 [--fault kill-worker,redis-restart] [--rows 50000] [--long]
// Run i takes the next fault in turn (of those named, else of all; --long adds the slow ones),
// seed + i, and prints one line; then a summary.
import { parseArgs } from 'node:util';
import { faultNamed, faults } from './faults.ts';
import { runCase, startFaultEnv, type CaseReport } from './run-case.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    count: { type: 'string', default: '1' },
    fault: { type: 'string' },
    rows: { type: 'string', default: '4000' },
    long: { type: 'boolean', default: false },
    'deadline-s': { type: 'string', default: '180' },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
const rows = Number(values.rows);
const pool = values.fault ? values.fault.split(',').map(faultNamed) : faults.filter((f) => values.long || !f.long);

const columns = ['fault', 'seed', 'expected', 'found', 'missing', 'duplicated', 'unexpected', 'quarantined', 'recovery ms', 'run ms', 'result'];
const line = (cells: Array<string | number>) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 26 : 11)).join(' '));
const env = await startFaultEnv();
const reports: CaseReport[] = [];
try {
  line(columns);
  for (let i = 0; i < count; i++) {
    const fault = pool[i % pool.length]!;
    const r = await runCase(env, { fault, seed: seed + i, rows, deadlineMs: Number(values['deadline-s']) * 1000 });
    reports.push(r);
    line([r.fault, r.seed, r.rowsExpected, r.rowsFound, r.missing, r.duplicated, r.unexpected, r.quarantined, r.recoveryMs ?? 'never', r.durationMs, r.ok ? 'ok' : 'FAIL']);
    for (const note of r.notes) console.log(`    ${note}`);
    for (const reason of r.quarantineReasons) console.log(`    quarantined: ${reason.slice(0, 160)}`);
    for (const problem of r.problems) console.log(`    ! ${problem}`);
    if (!r.ok) {
      for (const t of r.tables.filter((t) => t.samples.length > 0)) console.log(`    ${t.instance} ${t.table}: ${t.samples.join(' | ')}`);
      console.log(`    logs: ${r.logDir}`);
    }
  }
} finally {
  await env.close();
}
const failed = reports.filter((r) => !r.ok);
const recoveries = reports.map((r) => r.recoveryMs).filter((ms): ms is number => ms !== null);
console.log(`\n${reports.length} runs, ${failed.length} failed; recovery ms max ${Math.max(0, ...recoveries)}, median ${recoveries.sort((a, b) => a - b)[Math.floor(recoveries.length / 2)] ?? '-'}`);
process.exitCode = failed.length > 0 ? 1 : 0;
