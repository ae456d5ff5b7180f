// The pure-JavaScript codec libraries ship no types; only what kafka-codecs.ts calls is declared.
declare module 'lz4js' {
  /** Decompresses one LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array
  /** Compresses into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array
  const lz4: { decompress: typeof decompress; compress: typeof compress }
  export default lz4
}

declare module 'snappyjs' {
  /** Raw snappy (no framing); a Buffer in gives a Buffer out. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array
  export function compress(uncompressed: Uint8Array): Uint8Array
  const snappy: { uncompress: typeof uncompress; compress: typeof compress }
  export default snappy
}
