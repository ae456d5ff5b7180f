/**
 * Benchmark knobs: `--rows=200000 --partitions=4 --workers=1,2,4 --concurrency=4 --rate=20000
 * --seconds=20 --streams=wide,hot --peers=flink`, or BENCH_ROWS, BENCH_PARTITIONS, … (`--rate=0` skips the
 * latency run). `wide`: `--tables` tables over `--partitions` partitions; `hot`: one table in one
 * partition, the common case of one busy table, where batches of a partition follow each other.
 * `--peers=flink` also drains each stream with Flink (bench/flink-peer.ts; needs Java 17 and Maven).
 */
export type StreamShape = 'wide' | 'hot'
export type Peer = 'flink'

export type BenchOptions = { rows: number; partitions: number; workers: number[]; tables: number; concurrency: number; rate: number; seconds: number; streams: StreamShape[]; peers: Peer[] }

export function benchOptions(argv = process.argv.slice(2), env = process.env): BenchOptions {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? env[`BENCH_${name.toUpperCase()}`]
  const int = (name: string, fallback: number, min = 1) => {
    const value = Number(arg(name) ?? fallback)
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer of at least ${min}`)
    return value
  }
  const workers = (arg('workers') ?? '1,2,4').split(',').map(Number)
  if (workers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error('--workers must be a list like 1,2,4')
  const streams = (arg('streams') ?? 'wide,hot').split(',')
  if (streams.length === 0 || streams.some((s) => s !== 'wide' && s !== 'hot')) throw new Error('--streams must be a list of wide and hot')
  const peers = (arg('peers') ?? '').split(',').filter(Boolean)
  if (peers.some((p) => p !== 'flink')) throw new Error('--peers must be empty or flink')
  return {
    streams: streams as StreamShape[],
    peers: peers as Peer[],
    rows: int('rows', 200_000),
    partitions: int('partitions', 4),
    workers,
    tables: int('tables', 20),
    concurrency: int('concurrency', 4),
    rate: int('rate', 20_000, 0),
    seconds: int('seconds', 20),
  }
}
