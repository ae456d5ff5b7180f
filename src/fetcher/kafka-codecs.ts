/// <reference path="./compression-libs.d.ts" />
import kafkajs from 'kafkajs'
import { decompress as zstdDecompress } from 'fzstd'
import lz4 from 'lz4js'
import snappy from 'snappyjs'

/**
 * The record-batch codecs Kafka may hand a consumer besides gzip (kafkajs' only built-in one):
 * canal's producer or the broker's own `compression.type` can write lz4, snappy or zstd, and a
 * consumer without the codec fails on every batch of the topic. All three are pure JavaScript, so
 * they install from the npm registry alone (no native build, no prebuilt binary to download).
 *
 * K2S only reads Kafka; compressing is here for lz4 and snappy because the libraries have it, and
 * refused for zstd, whose pure-JavaScript library only decompresses.
 */
type Codec = { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> }

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

// Java's snappy-java (what canal's Kafka producer uses) writes xerial's framing: a magic header, then
// length-prefixed raw snappy blocks. Other producers write one raw snappy block.
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const xerialHeaderBytes = 16

export function snappyDecompress(buffer: Buffer): Buffer {
  if (buffer.length < xerialHeaderBytes || !buffer.subarray(0, 8).equals(xerialMagic)) return asBuffer(snappy.uncompress(buffer))
  const blocks: Buffer[] = []
  let offset = xerialHeaderBytes
  while (offset < buffer.length) {
    if (offset + 4 > buffer.length) throw new Error('snappy: a truncated xerial block header')
    const size = buffer.readUInt32BE(offset)
    offset += 4
    if (offset + size > buffer.length) throw new Error('snappy: a truncated xerial block')
    blocks.push(asBuffer(snappy.uncompress(buffer.subarray(offset, offset + size))))
    offset += size
  }
  return Buffer.concat(blocks)
}

const codecs: Record<'lz4' | 'snappy' | 'zstd', Codec> = {
  lz4: {
    compress: async ({ buffer }) => asBuffer(lz4.compress(buffer)),
    decompress: async (buffer) => asBuffer(lz4.decompress(buffer)),
  },
  snappy: {
    compress: async ({ buffer }) => asBuffer(snappy.compress(buffer)),
    decompress: async (buffer) => snappyDecompress(buffer),
  },
  zstd: {
    compress: async () => {
      throw new Error('K2S reads zstd record batches but does not write them')
    },
    decompress: async (buffer) => asBuffer(zstdDecompress(buffer)),
  },
}

// kafkajs' CommonJS exports: Node's ESM import sees these two only through the default export.
const { CompressionCodecs, CompressionTypes } = kafkajs

let registered = false

/** Makes every kafkajs client of this process read lz4, snappy and zstd batches; idempotent. */
export function registerKafkaCodecs(): void {
  if (registered) return
  registered = true
  CompressionCodecs[CompressionTypes.LZ4] = () => codecs.lz4
  CompressionCodecs[CompressionTypes.Snappy] = () => codecs.snappy
  CompressionCodecs[CompressionTypes.ZSTD] = () => codecs.zstd
}
