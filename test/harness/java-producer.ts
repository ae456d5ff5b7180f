import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { kafkaClasspath } from './kafka-jars.ts'

const source = fileURLToPath(new URL('./CompressedProducer.java', import.meta.url))

/**
 * Writes `values` (one line each, no newlines inside) to partition 0 of `topic` with Kafka's own Java
 * producer and `compression.type` = `codec`: the record batches canal's producer writes.
 */
export async function produceWithJava(bootstrap: string, topic: string, codec: 'gzip' | 'lz4' | 'snappy' | 'zstd' | 'none', values: string[]): Promise<void> {
  if (values.some((v) => v.includes('\n'))) throw new Error('a value for produceWithJava must be one line')
  const child = spawn('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', await kafkaClasspath(), source, bootstrap, topic, codec], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  child.stdin.end(values.join('\n') + '\n')
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve))
  if (code !== 0 || !output.includes(`sent ${values.length}`)) throw new Error(`the Java producer failed (exit ${code}):\n${output.slice(-4000)}`)
}
