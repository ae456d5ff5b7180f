/**
 * JSON.parse that keeps every number as it was written. Debezium sends BIGINT as int64 and Maxwell
 * sends BIGINT UNSIGNED and DECIMAL as plain JSON numbers; JSON.parse turns 18446744073709551615 into
 * 18446744073709552000 and DECIMAL(10,2) 1.00 into 1, and Node 20 has no reviver `source` to get the
 * text back. A number whose text a double would not print back comes as a JsonNumber holding that
 * text; every other number is a plain number. Text without such numbers goes to JSON.parse itself.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | number | JsonNumber | string | JsonValue[] | { [key: string]: JsonValue }

export function parseJson(text: string): JsonValue {
  if (!mayReshape(text)) return JSON.parse(text) as JsonValue
  return new LosslessParser(text).document()
}

/** The text of a JSON number, exact whichever way it was parsed. */
export function numberText(v: number | JsonNumber): string {
  return typeof v === 'number' ? String(v) : v.text
}

export function isJsonNumber(v: unknown): v is number | JsonNumber {
  return typeof v === 'number' || v instanceof JsonNumber
}

/**
 * Whether a number outside the strings would not print back as written: 16 or more digits (beyond
 * 2^53 or 15 significant digits), a fraction ending in 0 (DECIMAL's scale), an exponent, a
 * negative zero. One pass over the characters, cheaper than a regular expression that must try
 * every position; strings are skipped, so "2.7.0.Final" or "mysql-bin.000003" do not count.
 */
function mayReshape(text: string): boolean {
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      i++
      for (;;) {
        if (i >= n) return false
        const s = text.charCodeAt(i)
        if (s === 0x22) break
        i += s === 0x5c ? 2 : 1
      }
      i++
      continue
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) {
      i++
      continue
    }
    const start = i
    let digits = 0
    let last = 0
    let point = false
    for (; i < n; i++) {
      const d = text.charCodeAt(i)
      if (d >= 0x30 && d <= 0x39) {
        digits++
        last = d
      } else if (d === 0x2e) point = true
      else if (d === 0x65 || d === 0x45) return true
      else if (d !== 0x2d) break
    }
    if (point && last === 0x30) return true
    if (digits >= 16 && (point || digits > 16 || Number(text.slice(start, i)) > Number.MAX_SAFE_INTEGER)) return true
    if (digits === 1 && last === 0x30 && text.charCodeAt(start) === 0x2d && !point) return true
  }
  return false
}

class LosslessParser {
  private at = 0
  constructor(private readonly text: string) {}

  document(): JsonValue {
    const value = this.value()
    this.space()
    if (this.at !== this.text.length) this.fail('unexpected text after the JSON value')
    return value
  }

  private value(): JsonValue {
    this.space()
    const c = this.text.charCodeAt(this.at)
    if (c === 0x7b) return this.object()
    if (c === 0x5b) return this.array()
    if (c === 0x22) return this.string()
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number()
    for (const [word, v] of literals) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length
        return v
      }
    }
    return this.fail(this.at >= this.text.length ? 'unexpected end of JSON input' : 'unexpected character')
  }

  private object(): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {}
    this.at++
    this.space()
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++
      return out
    }
    for (;;) {
      this.space()
      if (this.text.charCodeAt(this.at) !== 0x22) this.fail('expected a property name')
      const key = this.string()
      this.space()
      if (this.text.charCodeAt(this.at++) !== 0x3a) this.fail('expected ":"')
      out[key] = this.value()
      this.space()
      const c = this.text.charCodeAt(this.at++)
      if (c === 0x7d) return out
      if (c !== 0x2c) this.fail('expected "," or "}"')
    }
  }

  private array(): JsonValue[] {
    const out: JsonValue[] = []
    this.at++
    this.space()
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++
      return out
    }
    for (;;) {
      out.push(this.value())
      this.space()
      const c = this.text.charCodeAt(this.at++)
      if (c === 0x5d) return out
      if (c !== 0x2c) this.fail('expected "," or "]"')
    }
  }

  private string(): string {
    const start = this.at++
    let escaped = false
    for (;;) {
      if (this.at >= this.text.length) this.fail('unterminated string')
      const c = this.text.charCodeAt(this.at++)
      if (c === 0x22) break
      if (c === 0x5c) {
        escaped = true
        this.at++
      }
    }
    // Escapes and control characters are JSON.parse's to judge.
    return escaped ? (JSON.parse(this.text.slice(start, this.at)) as string) : this.text.slice(start + 1, this.at - 1)
  }

  private number(): number | JsonNumber {
    number.lastIndex = this.at
    const m = number.exec(this.text)
    if (!m) return this.fail('invalid number')
    this.at += m[0].length
    const n = Number(m[0])
    return String(n) === m[0] ? n : new JsonNumber(m[0])
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return
      this.at++
    }
  }

  private fail(why: string): never {
    throw new SyntaxError(`${why} at position ${this.at}`)
  }
}

const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const literals: [string, JsonValue][] = [
  ['true', true],
  ['false', false],
  ['null', null],
]
