// The loader's CPU per row, in-process, without Redis or HTTP: the cost split of the benchmark
// issue (decode, map, serialise). Each stage is timed over the same batches, best of several rounds.
// Then the same rows as Debezium and Maxwell records: their decode and their whole job per row.
//   node --import tsx bench/loader-hot-path.ts [--rows=100000] [--rounds=7]
import { parseArgs } from 'node:util'
import { canalRowCount, decodeCanalMessage, type RowEvent } from '../src/formats/canal/canal-message.ts'
import { canalScanner } from '../src/formats/canal/canal-scan.ts'
import { instanceConfigSchema, mappingEnvSchema } from '../src/instances/config.ts'
import { decodePayload, encodePayload } from '../src/jobs/job-payload.ts'
import type { LoadBatch } from '../src/jobs/load-job.ts'
import { tableRowsBuilder, type TableRowsBuilder } from '../src/rows/row-changes.ts'
import type { TargetTable } from '../src/starrocks/starrocks-schema.ts'
import { createTableRouter } from '../src/rows/table-mapping.ts'
import { loadBatch, type LoadContext } from '../workers/load-batch.ts'
import { benchColumns, canalStream, sourceDatabase } from './canal-stream.ts'
import { cdcStream, type CdcFormat } from './cdc-stream.ts'
import { formatReader } from '../src/formats/change-format.ts'
import { benchInstance, benchMappingEnv } from './k2s-cluster.ts'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '7' } } })
const rows = Number(values.rows)
const rounds = Number(values.rounds)

// Batches as the fetcher cuts them: per partition, up to commitBatch rows.
const stream = canalStream({ rows, partitions: 4, tables: 20 })
const commitBatch = 10_000
const batches: LoadBatch[] = []
for (let partition = 0; partition < 4; partition++) {
  let messages: { offset: string; value: Buffer }[] = []
  let batchRows = 0
  const flush = () => {
    if (messages.length === 0) return
    const frame = encodePayload(messages)
    batches.push({ instance: 'bench', epoch: 1, topic: 't', partition, firstOffset: messages[0]!.offset, lastOffset: messages.at(-1)!.offset, messageCount: messages.length, messages: decodePayload(frame) })
    messages = []
    batchRows = 0
  }
  let offset = 0
  for (const m of stream.messages.filter((m) => m.partition === partition)) {
    const value = Buffer.from(m.value as string)
    const n = canalRowCount(value)
    if (batchRows > 0 && batchRows + n > commitBatch) flush()
    messages.push({ offset: String(offset++), value })
    batchRows += n
  }
  flush()
}

const config = instanceConfigSchema.parse(benchInstance('bench', { kafka: '127.0.0.1:9092', topic: 't', mysqlPort: 9030, feHttpPort: 8030, commitBatch, commitTimeout: 1000 }))
const env = mappingEnvSchema.parse(benchMappingEnv(sourceDatabase, 'bench'))
const schemaOf = (table: string): TargetTable => ({
  database: 'bench',
  table,
  model: 'PRIMARY',
  columns: benchColumns.map(([name, , , type]) => ({ name, dataType: type.split(/[ (]/)[0]!.toLowerCase(), nullable: !type.includes('NOT NULL'), isKey: name === 'id' })),
  keyColumns: ['id'],
})
let bodyBytes = 0
const ctx: LoadContext = {
  config,
  route: createTableRouter(env),
  schemas: { table: async (_db, table) => schemaOf(table), refresh: async (_db, table) => schemaOf(table), invalidate() {}, async close() {} },
  client: {
    async load(req) {
      bodyBytes += req.body.length
      return { status: 'Success', txnId: 1, loadedRows: 0, loadBytes: req.body.length, loadTimeMs: 0 }
    },
    async close() {},
  },
  activity: { async quarantine() {}, async count() {} } as unknown as LoadContext['activity'],
  tableConcurrency: 4,
}

// One batch at a time, as a loader holds it: timing stages over the whole stream at once would
// keep every decoded row alive and measure the garbage collector of a far bigger heap.
type Stage = 'frame decode (Redis bytes → messages)' | 'canal decode (scan or JSON.parse)' | 'route + group by table' | 'map + rows, written into the body' | 'body (close the array)'
let fastMessages = 0
function stagesOnce(): Record<Stage, number> {
  const spent = {} as Record<Stage, number>
  let mark = performance.now()
  const lap = (stage: Stage) => {
    const now = performance.now()
    spent[stage] = (spent[stage] ?? 0) + now - mark
    mark = now
  }
  for (const b of batches) {
    mark = performance.now()
    const messages = decodePayload(encodePayload(b.messages))
    lap('frame decode (Redis bytes → messages)')
    // Message by message, as loadBatch goes: each decoded message is garbage once its rows exist.
    const byTable = new Map<string, TableRowsBuilder>()
    const scan = canalScanner()
    for (const m of messages) {
      mark = performance.now()
      // The fast path as loadBatch takes it; a declined message pays for both ways, as there.
      const scanned = scan(m.value)
      const event = scanned ?? (decodeCanalMessage(m.value) as RowEvent)
      lap('canal decode (scan or JSON.parse)')
      const target = ctx.route(event.database, event.table)!
      let rows = byTable.get(target.table)
      if (!rows) byTable.set(target.table, (rows = tableRowsBuilder(schemaOf(target.table))))
      lap('route + group by table')
      if (scanned && rows.addScanned(scanned, b.partition, m.offset, target)) fastMessages++
      else rows.add({ partition: b.partition, offset: m.offset, event: scanned ? (decodeCanalMessage(m.value) as RowEvent) : (event as RowEvent), route: target })
      lap('map + rows, written into the body')
    }
    for (const rows of byTable.values()) rows.result.body.bytes()
    lap('body (close the array)')
  }
  return spent
}

const perRow = (ms: number) => `${((ms * 1000) / stream.rows).toFixed(2).padStart(6)} µs/row  ${ms.toFixed(0).padStart(5)} ms`
console.log(`${stream.rows} rows, ${stream.messages.length} messages, ${batches.length} batches, ${(stream.bytes / 1e6).toFixed(1)} MB of canal JSON; best of ${rounds}`)
const fastest: Record<string, number> = {}
for (let i = 0; i < rounds; i++) {
  for (const [stage, ms] of Object.entries(stagesOnce())) fastest[stage] = Math.min(fastest[stage] ?? Infinity, ms)
}
console.log(`fast path: ${((fastMessages / rounds / stream.messages.length) * 100).toFixed(1)}% of messages`)
for (const [stage, ms] of Object.entries(fastest)) console.log(`${stage.padEnd(40)} ${perRow(ms)}`)
let whole = Infinity
for (let i = 0; i < rounds; i++) {
  const started = performance.now()
  for (const b of batches) await loadBatch(b, ctx)
  whole = Math.min(whole, performance.now() - started)
}
console.log(`${'whole job (loadBatch, no Redis or HTTP)'.padEnd(40)} ${perRow(whole)}`)
console.log(`Stream Load bodies: ${(bodyBytes / rounds / 1e6).toFixed(1)} MB per round`)

// The same rows in the other formats: one record per row (and a tombstone after each Debezium delete).
for (const format of ['debezium', 'maxwell'] as CdcFormat[]) {
  const cdc = cdcStream(format, { rows, partitions: 4, tables: 20 })
  const cdcBatches: LoadBatch[] = []
  for (let partition = 0; partition < 4; partition++) {
    const mine = cdc.messages.filter((m) => m.partition === partition)
    for (let at = 0; at < mine.length; at += commitBatch) {
      const messages = mine.slice(at, at + commitBatch).map((m, i) => ({ offset: String(at + i), key: m.key ? Buffer.from(m.key) : null, value: m.value === null ? null : Buffer.from(m.value as string) }))
      cdcBatches.push({ instance: 'bench', epoch: 1, topic: `srv.${sourceDatabase}.t`, partition, firstOffset: messages[0]!.offset, lastOffset: messages.at(-1)!.offset, messageCount: messages.length, messages })
    }
  }
  const reader = formatReader(format, { timeZone: 'UTC' })
  const formatCtx: LoadContext = { ...ctx, config: { ...config, format } }
  let frame = Infinity
  let decode = Infinity
  let job = Infinity
  for (let i = 0; i < rounds; i++) {
    let started = performance.now()
    for (const b of cdcBatches) decodePayload(encodePayload(b.messages))
    frame = Math.min(frame, performance.now() - started)
    started = performance.now()
    for (const b of cdcBatches) for (const m of b.messages) reader.decode({ topic: b.topic, key: m.key ?? null, value: m.value })
    decode = Math.min(decode, performance.now() - started)
    started = performance.now()
    for (const b of cdcBatches) await loadBatch(b, formatCtx)
    job = Math.min(job, performance.now() - started)
  }
  console.log(`\n${format}: ${cdc.rows} rows, ${cdc.messages.length} records, ${(cdc.bytes / 1e6).toFixed(1)} MB (${(cdc.bytes / cdc.rows).toFixed(0)} B/row with keys); best of ${rounds}`)
  console.log(`${'frame decode (Redis bytes → messages)'.padEnd(40)} ${perRow(frame)}`)
  console.log(`${`${format} decode`.padEnd(40)} ${perRow(decode)}`)
  console.log(`${'whole job (loadBatch, no Redis or HTTP)'.padEnd(40)} ${perRow(job)}`)
}
