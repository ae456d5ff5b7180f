import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import kafkajs from 'kafkajs'
import snappy from 'snappyjs'
import { registerKafkaCodecs, snappyDecompress } from '../../src/fetcher/kafka-codecs.ts'

/**
 * The codecs beside the real-topic test (test/flow/kafka-compression.test.ts): the framings other
 * producers write, and a broken batch refused loudly rather than read short.
 */
const { CompressionCodecs, CompressionTypes } = kafkajs
const text = Buffer.from(JSON.stringify({ database: 'shop', table: 'orders', data: Array.from({ length: 200 }, (_, i) => ({ id: String(i), note: 'lorem ipsum' })) }))

function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
  return Buffer.concat([header, ...blocks.map(lengthPrefixed)])
}
function lengthPrefixed(block: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeUInt32BE(block.length)
  return Buffer.concat([size, block])
}

describe('Kafka codecs', () => {
  registerKafkaCodecs()
  const codec = (type: number) => (CompressionCodecs as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>)[type]!()

  test('snappy: raw blocks (librdkafka, kafkajs) and xerial frames of several blocks (Java) both read', async () => {
    const raw = Buffer.from(snappy.compress(text))
    assert.deepEqual(await codec(CompressionTypes.Snappy).decompress(raw), text)
    const halves = [text.subarray(0, 1000), text.subarray(1000)].map((part) => Buffer.from(snappy.compress(part)))
    assert.deepEqual(snappyDecompress(xerial(halves)), text)
    assert.throws(() => snappyDecompress(xerial(halves).subarray(0, 30)), /truncated xerial block/)
  })

  test('lz4 frames round-trip; writing zstd is refused with a reason (reading it: the real-topic test)', async () => {
    const lz4 = codec(CompressionTypes.LZ4)
    assert.deepEqual(await lz4.decompress(await lz4.compress({ buffer: text })), text)
    await assert.rejects(codec(CompressionTypes.ZSTD).compress({ buffer: text }), /reads zstd record batches but does not write them/)
  })
})
