/**
 * Splits a JSON body into row objects following StarRocks' document shapes (§6.1), and reads the
 * source fields of a row in simple mode (exact key names) or matched mode (`jsonpaths`, §6.2).
 */
import { JsonReader, JsonSyntaxError, KeySlots, minifyJson, parseJsonValue, skipWhitespace, type JsonNode } from './json-value.ts';

export type JsonObject = JsonNode & { t: 'obj' };

/** A row object, or a document-level error that counts as one filtered row. */
export type JsonRecord = { ok: true; object: JsonObject } | { ok: false; error: string; row: string };

export function readJsonRecords(text: string, stripOuterArray: boolean, jsonRoot: JsonPath | null): JsonRecord[] {
  const records: JsonRecord[] = [];
  let pos = skipWhitespace(text, 0);
  while (pos < text.length) {
    const first = text[pos]!;
    if (first !== '{' && first !== '[') {
      records.push({ ok: false, error: `illegal json started with ${first}`, row: text.slice(pos, pos + 100) });
      return records;
    }
    let doc: JsonNode;
    try {
      const parsed = parseJsonValue(text, pos);
      doc = parsed.node;
      pos = skipWhitespace(text, parsed.end);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      // §6.1: a parse failure is one filtered row and stops reading. Message text [unconfirmed].
      records.push({ ok: false, error: `Failed to parse json: ${e.message} at offset ${e.offset}`, row: text.slice(pos, pos + 100) });
      return records;
    }
    if (jsonRoot) {
      const rooted = jsonRoot.select(doc);
      if (!rooted.ok || rooted.node === undefined) {
        records.push({ ok: false, error: 'JSON Root not found', row: minifyJson(doc) });
        continue;
      }
      doc = rooted.node;
    }
    // A loop, not push(...rows): spreading 100k+ rows overflows the call stack.
    for (const row of documentRows(doc, stripOuterArray)) records.push(row);
  }
  return records;
}

/** Simple mode's source slots by key name; null when names repeat (a slot per key would not do). */
export function sourceSlots(sourceNames: string[]): Map<string, number> | null {
  const slots = new Map(sourceNames.map((name, i) => [name, i]));
  return slots.size === sourceNames.length ? slots : null;
}

/**
 * Simple mode (§6.2) straight from the text: each row object's fields go into `values` by key
 * (missing: undefined, as in readJsonRecords), with no tree per row. `onRow` gets the values
 * (reused for the next row) and the object's text range. Returns false at the first thing that is
 * not a well-formed document of row objects; the rows read so far are then void and the caller
 * reads the body with readJsonRecords, which reports it.
 */
export function readRowObjects(
  text: string,
  stripOuterArray: boolean,
  slotOf: Map<string, number>,
  onRow: (values: (JsonNode | undefined)[], start: number, end: number) => void,
): boolean {
  const reader = new JsonReader(text, skipWhitespace(text, 0));
  const values = new Array<JsonNode | undefined>(slotOf.size);
  const keys = new KeySlots(slotOf);
  const readRow = (): void => {
    const start = reader.pos;
    values.fill(undefined);
    reader.fieldsInto(keys, values);
    onRow(values, start, reader.pos);
  };
  try {
    while (reader.pos < text.length) {
      if (text[reader.pos] !== (stripOuterArray ? '[' : '{')) return false;
      if (stripOuterArray) {
        if (!readRowArray(reader, readRow)) return false;
      } else {
        readRow();
      }
      reader.pos = skipWhitespace(text, reader.pos);
    }
  } catch (e) {
    if (e instanceof JsonSyntaxError) return false;
    throw e;
  }
  return true;
}

/** An array of objects, each read by `readRow`; false at an item that is not an object. */
function readRowArray(reader: JsonReader, readRow: () => void): boolean {
  const { text } = reader;
  reader.pos = skipWhitespace(text, reader.pos + 1);
  if (text[reader.pos] === ']') {
    reader.pos++;
    return true;
  }
  for (;;) {
    reader.pos = skipWhitespace(text, reader.pos);
    if (text[reader.pos] !== '{') return false;
    readRow();
    reader.pos = skipWhitespace(text, reader.pos);
    const sep = text[reader.pos++];
    if (sep === ']') return true;
    if (sep !== ',') return false;
  }
}

function documentRows(doc: JsonNode, stripOuterArray: boolean): JsonRecord[] {
  if (!stripOuterArray) {
    if (doc.t === 'obj') return [{ ok: true, object: doc }];
    // §6.1 [ver]: the 3.x reader's (sic) wording for an array sent without strip_outer_array.
    return [{ ok: false, error: 'JSON data is an object, strip_outer_array must be set false', row: minifyJson(doc) }];
  }
  if (doc.t !== 'arr') {
    return [{ ok: false, error: 'JSON data is an array, strip_outer_array must be set true', row: minifyJson(doc) }];
  }
  return doc.items.map((item): JsonRecord => {
    if (item.t === 'obj') return { ok: true, object: item };
    if (item.t === 'arr') return { ok: false, error: 'nested array is not supported', row: minifyJson(item) };
    return { ok: false, error: 'JSON value is not an object', row: minifyJson(item) };
  });
}

/** A JSONPath of the `$.a.b`, `$["a"]`, `$.a[0]` kind (the forms jsonpaths/json_root use). */
export class JsonPath {
  private constructor(
    readonly text: string,
    private readonly steps: (string | number)[],
  ) {}

  static parse(text: string): JsonPath | null {
    const steps: (string | number)[] = [];
    const re = /\.([^.[\]]+)|\[(\d+)\]|\[\s*(?:"([^"]*)"|'([^']*)')\s*\]/y;
    if (!text.startsWith('$')) return null;
    re.lastIndex = 1;
    while (re.lastIndex < text.length) {
      const start = re.lastIndex;
      const m = re.exec(text);
      if (!m || m.index !== start) return null;
      steps.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4])!);
    }
    return new JsonPath(text, steps);
  }

  /** A missing key is `undefined` (→ NULL); stepping through a scalar is an error (§6.2). */
  select(root: JsonNode): { ok: true; node: JsonNode | undefined } | { ok: false } {
    let node: JsonNode | undefined = root;
    for (const step of this.steps) {
      if (node === undefined) return { ok: true, node };
      if (typeof step === 'number') {
        if (node.t !== 'arr') return { ok: false };
        node = node.items[step];
      } else {
        if (node.t !== 'obj') return { ok: false };
        node = node.fields.get(step);
      }
    }
    return { ok: true, node };
  }
}

/** Parses the `jsonpaths` header: a JSON array of path strings. */
export function parseJsonPaths(header: string): JsonPath[] | { error: string } {
  let list: unknown;
  try {
    list = JSON.parse(header);
  } catch {
    return { error: `Invalid json path: ${header}` };
  }
  if (!Array.isArray(list)) return { error: `Invalid json path: ${header}` };
  const paths: JsonPath[] = [];
  for (const item of list) {
    const path = typeof item === 'string' ? JsonPath.parse(item) : null;
    if (!path) return { error: `Invalid json path: ${String(item)}` };
    paths.push(path);
  }
  return paths;
}
