// The StarRocks emulator in a process of its own, so the benchmark measures its CPU and memory
// apart from K2S' (in production that work is StarRocks'). Spoken to over IPC by
// bench/emulator-child.ts: `{ ddl }` → `{ done }`, `{ digest }` → a table's row count and hash, and every
// 100 ms the loads since the last report.
import { createHash } from 'node:crypto'
import { startStarRocksEmulator, type LoadRecord } from '../test/starrocks-emulator/index.ts'

type Table = { db: string; table: string }
type Request = { id: number; ddl: string[] } | { id: number; digest: Table }

const emulator = await startStarRocksEmulator()
let reported = 0
const report = () => {
  if (emulator.loads.length === reported) return
  const loads: LoadRecord[] = emulator.loads.slice(reported)
  reported = emulator.loads.length
  process.send!({ loads })
}
const timer = setInterval(report, 100)

process.on('message', async (req: Request) => {
  try {
    if ('ddl' in req) {
      for (const sql of req.ddl) await emulator.execute(sql)
      process.send!({ id: req.id, done: true })
    } else {
      // Rows come in key order, so two runs that left the same table give the same digest.
      const hash = createHash('sha256')
      const rows = emulator.rows(req.digest.db, req.digest.table)
      for (const row of rows) hash.update(JSON.stringify(row)).update('\n')
      process.send!({ id: req.id, done: { rows: rows.length, sha256: hash.digest('hex') } })
    }
  } catch (err) {
    process.send!({ id: req.id, error: (err as Error).message })
  }
})
process.on('disconnect', async () => {
  clearInterval(timer)
  await emulator.close()
  process.exit(0)
})
process.send!({ ready: { feHttpPort: emulator.feHttpPort, mysqlPort: emulator.mysqlPort } })
