import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startEmulatorChild, type TableDigest } from './emulator-child.ts'
import { untilCommitted } from './kafka-bench.ts'
import { localServices, machineBusyMeter, processMeter, type ProcessUse } from './process-stats.ts'

export const flinkPeerName = 'Flink 1.18.1 SQL + flink-connector-starrocks 1.2.10'

export type PeerRunResult = {
  ms: number
  processes: ProcessUse[]
  machineBusy: number
  /** Rows per second once 20% of the messages were committed: the rate without start-up and JIT warm-up. */
  steadyRowsPerSec: number
  /** The tables it left; the connector loads in Stream Load transactions, which the emulator does not list as loads. */
  tables: TableDigest[]
}

const project = fileURLToPath(new URL('./peers/flink/', import.meta.url))

/** Compiles the peer with Maven (dependencies from Maven Central, cached in ~/.m2) and gives its classpath. */
export function buildFlinkPeer(): string {
  execFileSync('mvn', ['-q', '-B', 'compile', 'dependency:build-classpath', '-Dmdep.outputFile=target/classpath.txt'], { cwd: project, stdio: 'inherit' })
  return `${project}target/classes:${readFileSync(`${project}target/classpath.txt`, 'utf8').trim()}`
}

/**
 * Issue 20's peer on the same topic, into an emulator of its own: Flink SQL in one JVM
 * (bench/peers/flink). Timed, like K2S, from the job's submission until every partition's
 * committed offset is its end offset: Flink commits offsets when a checkpoint completes, and a
 * checkpoint completes once the sink has flushed what came before it.
 */
export async function runFlinkPeer(opts: {
  classpath: string
  kafka: string
  topic: string
  ends: Map<number, bigint>
  targetDb: string
  tables: string[]
  tableDdl: string[]
  rows: number
  timeoutMs: number
}): Promise<PeerRunResult> {
  const emulator = await startEmulatorChild()
  await emulator.execute([`CREATE DATABASE ${opts.targetDb}`, ...opts.tableDdl])
  const groupId = `flink-peer-${Date.now().toString(36)}`
  const checkpoints = mkdtempSync(path.join(os.tmpdir(), 'k2s-flink-peer-'))
  // BENCH_FLINK_CONF="pipeline.object-reuse=true sink.properties.format=json …": more Flink configuration
  // for the peer, and options of its StarRocks sink (keys that start with "sink.").
  const flinkConf = process.env.BENCH_FLINK_CONF?.split(' ').filter(Boolean) ?? []
  const args = [opts.kafka, opts.topic, groupId, String(emulator.mysqlPort), String(emulator.feHttpPort), opts.targetDb, opts.tables.join(','), checkpoints, ...flinkConf]
  // BENCH_FLINK_JAVA_OPTS="-Xmx1g …": more JVM flags for the peer.
  const javaOpts = process.env.BENCH_FLINK_JAVA_OPTS?.split(' ').filter(Boolean) ?? []
  const jvm = spawn('java', [...javaOpts, '-Dorg.slf4j.simpleLogger.defaultLogLevel=error', '-cp', opts.classpath, 'k2s.bench.FlinkPeer', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(jvm, 'exit')
  try {
    const submitted = new Promise<void>((resolve, reject) => {
      createInterface({ input: jvm.stdout! }).on('line', (line) => line.startsWith('K2S-BENCH submitted') && resolve())
      void exited.then(([code]) => reject(new Error(`the Flink peer exited with ${code} before its job was submitted`)))
    })
    await submitted
    const usage = processMeter([{ role: 'flink', pid: jvm.pid! }, { role: 'emulator', pid: emulator.pid }, ...localServices({ kafka: opts.kafka })])
    const busy = machineBusyMeter()
    const started = performance.now()
    const total = [...opts.ends.values()].reduce((a, b) => a + Number(b), 0)
    // Set inside onPoll, which TypeScript cannot see: the cast keeps it from narrowing to null.
    let steadyFrom = null as { at: number; messages: number } | null
    await untilCommitted({
      kafka: opts.kafka,
      groupId,
      topic: opts.topic,
      ends: opts.ends,
      what: 'Flink peer',
      timeoutMs: opts.timeoutMs,
      onPoll: (committed) => {
        if (jvm.exitCode !== null) throw new Error(`the Flink peer exited with ${jvm.exitCode} before it was done`)
        const messages = [...committed.values()].reduce((a, b) => a + Number(b), 0)
        if (!steadyFrom && messages >= total * 0.2) steadyFrom = { at: performance.now(), messages }
      },
    })
    const ended = performance.now()
    const processes = usage()
    const machineBusy = busy()
    // Messages carry 1–50 rows; the stream's mean converts the committed messages to rows.
    const steadyRowsPerSec = steadyFrom && ended > steadyFrom.at ? Math.round((((total - steadyFrom.messages) / (ended - steadyFrom.at)) * 1000 * opts.rows) / total) : NaN
    const tables = []
    for (const table of opts.tables) tables.push(await emulator.digest(opts.targetDb, table))
    return { ms: ended - started, processes, machineBusy, steadyRowsPerSec, tables }
  } finally {
    if (jvm.exitCode === null) {
      jvm.kill('SIGKILL')
      await exited
    }
    await emulator.close()
    rmSync(checkpoints, { recursive: true, force: true })
  }
}
