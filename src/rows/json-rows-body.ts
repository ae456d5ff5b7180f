import { closeBracket, comma, openBracket } from './json-bytes.ts'

/**
 * A Stream Load body, a JSON array of row objects, written row by row straight into one buffer.
 * Rows kept as strings until the load lived through several young-generation collections, were
 * copied into the old one and then encoded once more into the body; the canal fast path now copies
 * a row's bytes from the message once, and nothing per row is left for the collector.
 */
export class JsonRowsBody {
  /** Rows written so far. */
  count = 0
  private buffer: Buffer
  private at = 1
  /** Where each row starts, so texts() can give the rows back one by one. */
  private readonly starts: number[] = []
  /** The Kafka offset of the message the next rows come from: set before writing them. */
  source = ''
  /** Per row, the offset of its message, so a row StarRocks refuses is quarantined with it. */
  readonly offsets: string[] = []

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 16))
    this.buffer[0] = openBracket
  }

  /** Starts the next row; its bytes follow with copy(), byte() and text(). */
  startRow(): void {
    this.reserve(1)
    if (this.count++ > 0) this.buffer[this.at++] = comma
    this.starts.push(this.at)
    this.offsets.push(this.source)
  }

  /** A whole row object as JSON text. */
  addText(row: string): void {
    this.startRow()
    this.text(row)
  }

  text(text: string): void {
    this.reserve(Buffer.byteLength(text))
    this.at += this.buffer.write(text, this.at)
  }

  byte(b: number): void {
    this.reserve(1)
    this.buffer[this.at++] = b
  }

  /** Bytes of `source`, which must be JSON text in UTF-8 already. */
  copy(source: Uint8Array, start = 0, end = source.length): void {
    const n = end - start
    this.reserve(n)
    const buffer = this.buffer
    // Most pieces are a few bytes (a comma, `"__op":0}`): a loop beats copy()'s call into C++.
    if (n < 32) for (let i = 0; i < n; i++) buffer[this.at + i] = source[start + i]!
    else buffer.set(source.subarray(start, end), this.at)
    this.at += n
  }

  /** The JSON array; a view valid until the next write. */
  bytes(): Buffer {
    this.reserve(1)
    this.buffer[this.at] = closeBracket
    return this.buffer.subarray(0, this.at + 1)
  }

  /** Each row's JSON text. */
  texts(): string[] {
    return this.starts.map((_, i) => this.buffer.toString('utf8', this.starts[i]!, this.rowEnd(i)))
  }

  /** The JSON array of the rows whose index `keep` accepts, copied out of this body. */
  subset(keep: (row: number) => boolean): Buffer {
    const pieces: Buffer[] = [Buffer.from('[')]
    for (let i = 0; i < this.count; i++) {
      if (!keep(i)) continue
      if (pieces.length > 1) pieces.push(Buffer.from(','))
      pieces.push(this.buffer.subarray(this.starts[i]!, this.rowEnd(i)))
    }
    pieces.push(Buffer.from(']'))
    return Buffer.concat(pieces)
  }

  private rowEnd(i: number): number {
    return i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.at
  }

  private reserve(n: number): void {
    // One more for the closing bracket.
    if (this.at + n + 1 <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + n + 1))
    this.buffer.copy(grown, 0, 0, this.at)
    this.buffer = grown
  }
}
