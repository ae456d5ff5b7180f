// `npm run bench [-- --rows=200000 --partitions=4 --workers=1,2,4 --rate=20000 --seconds=20 --streams=wide,hot --peers=flink]`:
// per stream (wide: many tables over several partitions; hot: one busy table in one partition),
// produces a canal stream into a fresh topic, measures a bare kafkajs consumer (the ceiling), then
// K2S draining it end to end per loader process count, with K2S' CPU µs per row as the headline,
// and with --peers=flink Flink on the same topic, checked to leave the same tables; then latency
// under a steady producer.
// Prints tables, writes bench/results.json. Uses the test harness: its own Kafka broker and
// redis-server unless K2S_TEST_KAFKA / K2S_TEST_REDIS point at running ones.
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { createTopic, endOffsets } from '../test/harness/kafka-helpers.ts'
import { testKafkaBootstrap } from '../test/harness/kafka-broker.ts'
import { testRedisUrl } from '../test/harness/redis-server.ts'
import { canalStream, createTableSql, tableName } from './canal-stream.ts'
import type { TableDigest } from './emulator-child.ts'
import { buildFlinkPeer, flinkPeerName, runFlinkPeer, type PeerRunResult } from './flink-peer.ts'
import { produceFast, rawRead } from './kafka-bench.ts'
import { runK2s, type K2sRunResult } from './k2s-run.ts'
import { runLatency } from './latency-run.ts'
import { benchOptions, type StreamShape } from './options.ts'
import type { ProcessUse } from './process-stats.ts'

const opts = benchOptions()
const benchStarted = performance.now()
const log = (msg: string) => console.log(`[${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s] ${msg}`)
const mb = (bytes: number) => bytes / 1024 / 1024
const use = (processes: ProcessUse[]) => Object.fromEntries(processes.map((p) => [p.role, { cpuSeconds: +p.cpuSeconds.toFixed(1), peakRssMb: +mb(p.peakRssBytes).toFixed(0) }]))
const tableDdl = (count: number) => Array.from({ length: count }, (_, t) => createTableSql('dw', tableName(t)))
/** The headline beside rows/s: CPU of K2S' own processes (fetcher and loaders), not the emulator's, Kafka's or Redis'. */
const k2sCpuUsPerRow = (run: K2sRunResult, rows: number) =>
  +((run.processes.filter((p) => p.role === 'fetcher' || p.role.startsWith('loader')).reduce((s, p) => s + p.cpuSeconds, 0) * 1e6) / rows).toFixed(2)
/** The same for the peer: its JVM, which does all a K2S fetcher and loaders do. */
const peerCpuUsPerRow = (run: PeerRunResult, rows: number) => +((run.processes.find((p) => p.role === 'flink')!.cpuSeconds * 1e6) / rows).toFixed(2)

// K2S runs as production runs it: compiled to dist/ (the emulator and this script stay on tsx).
execFileSync('npm', ['run', '--silent', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' })
const flinkClasspath = opts.peers.includes('flink') ? buildFlinkPeer() : null
log(`rows=${opts.rows} partitions=${opts.partitions} workers=${opts.workers.join(',')} concurrency=${opts.concurrency} tables=${opts.tables} rate=${opts.rate} seconds=${opts.seconds} streams=${opts.streams.join(',')} peers=${opts.peers.join(',') || 'none'}`)
const [kafka, redisUrl] = await Promise.all([testKafkaBootstrap(), testRedisUrl()])
log(`kafka ${kafka}, redis ${redisUrl}`)

try {
  const targetDb = 'dw'
  const streams = []
  for (const shape of opts.streams) streams.push(await benchStream(shape))

  const latency = opts.rate > 0
    ? await runLatency({ kafka, redisUrl, partitions: opts.partitions, tables: opts.tables, rate: opts.rate, seconds: opts.seconds, workers: 2, loaderConcurrency: opts.concurrency, targetDb, tableDdl: tableDdl(opts.tables) })
    : null
  if (latency) log(`steady ${latency.rate} rows/s for ${latency.seconds} s: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms over ${latency.rowsMeasured} rows`)

  console.log()
  console.table(streams.flatMap((s) => [
    { stream: s.name, run: 'raw kafkajs', ...s.raw },
    ...s.k2s.map(({ processes: _, ...r }) => ({ stream: s.name, run: `k2s ${r.workers} loader${r.workers > 1 ? 's' : ''}`, ...r })),
    ...s.peers.map(({ processes: _, name, ...r }) => ({ stream: s.name, run: name, ...r })),
  ]))
  const processRow = (stream: { name: string; stream: { rows: number } }, run: string) => (p: ProcessUse) =>
    ({ stream: stream.name, run, process: p.role, cpuSeconds: +p.cpuSeconds.toFixed(1), cpuUsPerRow: +((p.cpuSeconds * 1e6) / stream.stream.rows).toFixed(2), peakRssMb: +mb(p.peakRssBytes).toFixed(0) })
  console.table(streams.flatMap((s) => [
    ...s.runs.flatMap((r) => r.processes.map(processRow(s, `k2s ${r.workers}`))),
    ...s.peerRuns.flatMap((r) => r.processes.map(processRow(s, 'flink'))),
  ]))
  if (latency) console.table(latency.processes.map((p) => ({ run: `steady ${latency.rate}/s`, process: p.role, cpuSeconds: +p.cpuSeconds.toFixed(1), peakRssMb: +mb(p.peakRssBytes).toFixed(0) })))
  const wide = streams.find((s) => s.name.startsWith('wide'))
  const results = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    options: opts,
    // The wide stream's figures where earlier runs had them, so results compare across sessions.
    stream: wide?.stream,
    raw: wide?.raw,
    k2s: wide?.k2s,
    streams: streams.map(({ runs: _, peerRuns: __, ...s }) => s),
    latency: latency && { ...latency, processes: use(latency.processes) },
    totalSeconds: +((performance.now() - benchStarted) / 1000).toFixed(1),
  }
  await writeFile(fileURLToPath(new URL('./results.json', import.meta.url)), JSON.stringify(results, null, 2) + '\n')
  log('wrote bench/results.json')

  /** Produces one stream into a fresh topic, reads it raw, then drains it with K2S per loader count. */
  async function benchStream(shape: StreamShape) {
    const tables = shape === 'hot' ? 1 : opts.tables
    const partitions = shape === 'hot' ? 1 : opts.partitions
    const name = `${shape} (${tables} table${tables > 1 ? 's' : ''}, ${partitions} partition${partitions > 1 ? 's' : ''})`
    const stream = canalStream({ rows: opts.rows, tables, partitions })
    const tableNames = Array.from({ length: tables }, (_, t) => tableName(t))
    const topic = `bench-canal-${shape}-${Date.now().toString(36)}`
    await createTopic(kafka, topic, partitions)
    const produceMs = await produceFast(kafka, topic, stream.messages)
    const ends = await endOffsets(kafka, topic)
    const produced = [...ends.values()].reduce((s, o) => s + Number(o), 0)
    if (produced !== stream.messages.length) throw new Error(`topic holds ${produced} messages, produced ${stream.messages.length}`)
    const messageCount = stream.messages.length
    // ~70 MB of strings the rest of the run does not need: keep them out of the RSS measured below.
    stream.messages.length = 0
    log(`${name}: produced ${messageCount} messages, ${stream.rows} rows, ${mb(stream.bytes).toFixed(1)} MB in ${(produceMs / 1000).toFixed(1)} s (${JSON.stringify(stream.byType)}, avg ${(stream.bytes / stream.rows).toFixed(0)} B/row)`)

    const raw = await rawRead(kafka, topic, messageCount)
    log(`${name}: raw kafkajs read: ${(raw.ms / 1000).toFixed(2)} s (first batch after ${(raw.firstBatchMs / 1000).toFixed(2)} s)`)

    const runs: K2sRunResult[] = []
    for (const workers of opts.workers) {
      // Generous: even 500 rows/s would finish; a hang shows as an error rather than a stuck run.
      const run = await runK2s({ kafka, redisUrl, topic, ends, workers, loaderConcurrency: opts.concurrency, targetDb, tables: tableDdl(tables), timeoutMs: Math.max(120_000, opts.rows * 2), digestTables: flinkClasspath ? tableNames : [] })
      runs.push(run)
      log(`${name}: k2s workers=${workers}: ${(run.ms / 1000).toFixed(2)} s, ${k2sCpuUsPerRow(run, stream.rows)} µs CPU per row, ${run.loads} loads, ${run.failedLoads} failed`)
    }

    const peerRuns = flinkClasspath
      ? [await runFlinkPeer({ classpath: flinkClasspath, kafka, topic, ends, targetDb, tables: tableNames, tableDdl: tableDdl(tables), rows: stream.rows, timeoutMs: Math.max(120_000, opts.rows * 2) })]
      : []
    for (const peer of peerRuns) {
      const digest = (ts: TableDigest[]) => JSON.stringify(ts)
      const same = runs.every((r) => digest(r.tables) === digest(peer.tables))
      const tableRows = peer.tables.reduce((sum, t) => sum + t.rows, 0)
      log(`${name}: ${flinkPeerName}: ${(peer.ms / 1000).toFixed(2)} s, ${peerCpuUsPerRow(peer, stream.rows)} µs CPU per row, ${tableRows} rows in the tables, ${same ? 'the same tables as K2S left' : 'NOT the tables K2S left'}`)
      if (!same) throw new Error(`${name}: the Flink peer left ${digest(peer.tables)}, K2S ${runs.map((r) => digest(r.tables)).join(' ')}`)
    }

    const rate = (ms: number) => ({
      seconds: +(ms / 1000).toFixed(2),
      messagesPerSec: Math.round(messageCount / (ms / 1000)),
      rowsPerSec: Math.round(stream.rows / (ms / 1000)),
      mbPerSec: +(mb(stream.bytes) / (ms / 1000)).toFixed(2),
    })
    return {
      name,
      tables,
      partitions,
      stream: { messages: messageCount, rows: stream.rows, bytes: stream.bytes, rowsByType: stream.byType, rowsPerPartition: stream.rowsPerPartition, produceSeconds: +(produceMs / 1000).toFixed(2) },
      raw: { ...rate(raw.ms), secondsAfterJoin: +((raw.ms - raw.firstBatchMs) / 1000).toFixed(2) },
      runs,
      peerRuns,
      peers: peerRuns.map((r) => ({
        name: flinkPeerName,
        ...rate(r.ms),
        cpuUsPerRow: peerCpuUsPerRow(r, stream.rows),
        steadyRowsPerSec: r.steadyRowsPerSec,
        machineBusyPct: Math.round(r.machineBusy * 100),
        processes: use(r.processes),
        tableRows: r.tables.reduce((sum, t) => sum + t.rows, 0),
      })),
      k2s: runs.map((r) => ({
        workers: r.workers,
        ...rate(r.ms),
        k2sCpuUsPerRow: k2sCpuUsPerRow(r, stream.rows),
        steadyRowsPerSec: r.steadyRowsPerSec,
        firstLoadSeconds: +(r.firstLoadMs / 1000).toFixed(2),
        machineBusyPct: Math.round(r.machineBusy * 100),
        processes: use(r.processes),
        redisBaselineMb: +mb(r.redisUsedMemoryBaseline).toFixed(1),
        redisPeakMb: +mb(r.redisUsedMemoryPeak).toFixed(1),
        loads: r.loads,
        avgRowsPerLoad: Math.round(r.loadedRows / Math.max(1, r.loads)),
        failedLoads: r.failedLoads,
      })),
    }
  }
} catch (error) {
  console.error(error)
  process.exitCode = 1
}
// The harness' broker and redis-server are killed by its exit hook; kafkajs' idle timers (see
// test/harness/kafka-helpers.ts) would keep the loop alive, so leave explicitly.
process.exit(process.exitCode ?? 0)
