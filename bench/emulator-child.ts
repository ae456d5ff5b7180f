import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { LoadRecord } from '../test/starrocks-emulator/index.ts'

export type TableDigest = { rows: number; sha256: string }

export type EmulatorChild = {
  pid: number
  feHttpPort: number
  mysqlPort: number
  /** Every load attempt reported so far, in order; reports arrive every 100 ms. */
  loads: LoadRecord[]
  execute(ddl: string[]): Promise<void>
  /** The table's row count and a SHA-256 over its rows in key order: equal tables, equal digests. */
  digest(db: string, table: string): Promise<TableDigest>
  close(): Promise<void>
}

export async function startEmulatorChild(): Promise<EmulatorChild> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  const child: ChildProcess = fork(fileURLToPath(new URL('./emulator-process.ts', import.meta.url)), [], { execArgv: [...profile, '--max-semi-space-size=64', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const loads: LoadRecord[] = []
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  child.on('message', (msg: { loads?: LoadRecord[]; id?: number; done?: unknown; error?: string }) => {
    if (msg.loads) loads.push(...msg.loads)
    if (msg.id === undefined) return
    const w = waiting.get(msg.id)
    waiting.delete(msg.id)
    if (msg.error) w?.reject(new Error(msg.error))
    else w?.resolve(msg.done)
  })
  const [ready] = (await once(child, 'message')) as [{ ready: { feHttpPort: number; mysqlPort: number } }]
  const ask = (req: object) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++
      waiting.set(id, { resolve, reject })
      child.send({ id, ...req })
    })
  return {
    pid: child.pid!,
    ...ready.ready,
    loads,
    execute: async (ddl) => void (await ask({ ddl })),
    digest: async (db, table) => (await ask({ digest: { db, table } })) as TableDigest,
    async close() {
      const exited = once(child, 'exit')
      child.disconnect()
      await exited
    },
  }
}
