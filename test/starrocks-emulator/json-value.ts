/**
 * A JSON parser that keeps number tokens verbatim: StarRocks reads `1.50` into VARCHAR as `1.50`
 * and BIGINT/DECIMAL values beyond 2^53 exactly (§6.3), which JSON.parse cannot.
 */
export type JsonNode =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; items: JsonNode[] }
  /** Duplicate keys: the first occurrence wins (§6.2). */
  | { t: 'obj'; fields: Map<string, JsonNode> };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses one JSON value starting at `start` (after optional whitespace); returns it and the end offset. */
export function parseJsonValue(text: string, start: number): { node: JsonNode; end: number } {
  const p = new JsonReader(text, start);
  const node = p.value();
  return { node, end: p.pos };
}

export function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    pos++;
  }
  return pos;
}

/** The slots of a row object's keys for JsonReader.fieldsInto, with the key tokens last seen at each position. */
export class KeySlots {
  readonly tokens: string[] = [];
  readonly slots: number[] = [];
  constructor(readonly slotOf: Map<string, number>) {}
}

/** Reads JSON values from `pos` on; throws JsonSyntaxError. */
export class JsonReader {
  constructor(
    readonly text: string,
    public pos: number,
  ) {}

  value(): JsonNode {
    this.pos = skipWhitespace(this.text, this.pos);
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return { t: 'str', v: this.string() };
      case 't':
        return this.literal('true', { t: 'bool', v: true });
      case 'f':
        return this.literal('false', { t: 'bool', v: false });
      case 'n':
        return this.literal('null', { t: 'null' });
      default: {
        NUMBER_RE.lastIndex = this.pos;
        const m = NUMBER_RE.exec(this.text);
        if (!m) throw this.error(c === undefined ? 'unexpected end of document' : `unexpected character '${c}'`);
        this.pos += m[0].length;
        return { t: 'num', raw: m[0] };
      }
    }
  }

  /**
   * Reads an object's fields into `slots` by key (`keys`), first occurrence winning like
   * object(); other keys are read and dropped. A row this way needs no Map and no node of its own.
   */
  fieldsInto(keys: KeySlots, slots: (JsonNode | undefined)[]): void {
    this.pos++;
    this.pos = skipWhitespace(this.text, this.pos);
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (let field = 0; ; field++) {
      this.pos = skipWhitespace(this.text, this.pos);
      if (this.text[this.pos] !== '"') throw this.error('object key expected');
      const slot = this.keySlot(keys, field);
      this.pos = skipWhitespace(this.text, this.pos);
      if (this.text[this.pos++] !== ':') throw this.error("':' expected after object key");
      const v = this.value();
      if (slot >= 0 && slots[slot] === undefined) slots[slot] = v;
      this.pos = skipWhitespace(this.text, this.pos);
      const sep = this.text[this.pos++];
      if (sep === '}') return;
      if (sep !== ',') throw this.error("',' or '}' expected in object");
    }
  }

  /**
   * The slot of the key at `pos` (-1: not read), the `field`-th of its object. Rows repeat their
   * keys in the same order, so the key token is first compared with the one the previous row had
   * there: the same token text is the same key, found without a string or a Map look-up.
   */
  private keySlot(keys: KeySlots, field: number): number {
    const last = keys.tokens[field];
    if (last !== undefined && this.text.startsWith(last, this.pos)) {
      this.pos += last.length;
      return keys.slots[field]!;
    }
    const start = this.pos;
    const slot = keys.slotOf.get(this.string()) ?? -1;
    keys.tokens[field] = this.text.slice(start, this.pos);
    keys.slots[field] = slot;
    return slot;
  }

  private object(): JsonNode {
    this.pos++;
    const fields = new Map<string, JsonNode>();
    this.pos = skipWhitespace(this.text, this.pos);
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { t: 'obj', fields };
    }
    for (;;) {
      this.pos = skipWhitespace(this.text, this.pos);
      if (this.text[this.pos] !== '"') throw this.error('object key expected');
      const key = this.string();
      this.pos = skipWhitespace(this.text, this.pos);
      if (this.text[this.pos++] !== ':') throw this.error("':' expected after object key");
      const v = this.value();
      if (!fields.has(key)) fields.set(key, v);
      this.pos = skipWhitespace(this.text, this.pos);
      const sep = this.text[this.pos++];
      if (sep === '}') return { t: 'obj', fields };
      if (sep !== ',') throw this.error("',' or '}' expected in object");
    }
  }

  private array(): JsonNode {
    this.pos++;
    const items: JsonNode[] = [];
    this.pos = skipWhitespace(this.text, this.pos);
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { t: 'arr', items };
    }
    for (;;) {
      items.push(this.value());
      this.pos = skipWhitespace(this.text, this.pos);
      const sep = this.text[this.pos++];
      if (sep === ']') return { t: 'arr', items };
      if (sep !== ',') throw this.error("',' or ']' expected in array");
    }
  }

  private string(): string {
    const start = ++this.pos;
    // Most strings have no escapes: up to the next quote is then the whole string.
    const quote = this.text.indexOf('"', start);
    if (quote !== -1) {
      const raw = this.text.slice(start, quote);
      if (!raw.includes('\\')) {
        this.pos = quote + 1;
        return raw;
      }
    }
    let end = start;
    let escaped = false;
    while (end < this.text.length) {
      const c = this.text.charCodeAt(end);
      if (c === 0x22) break; // "
      if (c === 0x5c) {
        escaped = true; // backslash: skip the escaped character
        end++;
      }
      end++;
    }
    if (end >= this.text.length) throw this.error('unterminated string');
    this.pos = end + 1;
    if (!escaped) return this.text.slice(start, end);
    try {
      return JSON.parse(this.text.slice(start - 1, end + 1)) as string;
    } catch {
      throw this.error('invalid escape in string');
    }
  }

  private literal(word: string, node: JsonNode): JsonNode {
    if (!this.text.startsWith(word, this.pos)) throw this.error(`unexpected character '${this.text[this.pos]}'`);
    this.pos += word.length;
    return node;
  }

  private error(message: string): JsonSyntaxError {
    return new JsonSyntaxError(message, this.pos);
  }
}

/** Minified text, as StarRocks writes a JSON object/array into a VARCHAR column (§6.3). */
export function minifyJson(node: JsonNode): string {
  switch (node.t) {
    case 'null':
      return 'null';
    case 'bool':
      return String(node.v);
    case 'num':
      return node.raw;
    case 'str':
      return JSON.stringify(node.v);
    case 'arr':
      return `[${node.items.map(minifyJson).join(',')}]`;
    case 'obj':
      return `{${[...node.fields].map(([k, v]) => `${JSON.stringify(k)}:${minifyJson(v)}`).join(',')}}`;
  }
}

/**
 * How StarRocks renders a JSON column value: keys sorted, `": "` and `", "` separators
 * (docs' json_object examples: `{"active": true, "name": "starrocks"}`).
 */
export function renderJsonColumn(node: JsonNode): string {
  switch (node.t) {
    case 'num':
      return canonicalJsonNumber(node.raw);
    case 'arr':
      return `[${node.items.map(renderJsonColumn).join(', ')}]`;
    case 'obj': {
      const keys = [...node.fields.keys()].sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}: ${renderJsonColumn(node.fields.get(k)!)}`).join(', ')}}`;
    }
    default:
      return minifyJson(node);
  }
}

/** JSON numbers are stored as int64 when they fit, else as double ([unconfirmed] binary JSON format). */
function canonicalJsonNumber(raw: string): string {
  if (/^-?\d+$/.test(raw)) {
    const n = BigInt(raw);
    if (n >= -(1n << 63n) && n < 1n << 64n) return n.toString();
  }
  return String(Number(raw));
}
