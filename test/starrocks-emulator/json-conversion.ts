/**
 * Per-type conversion of one source value into a column (§6.3). JSON values follow the JSON
 * reader's rules; CSV fields (`text`) go through a SQL cast. A failure carries the reason StarRocks
 * logs; the caller turns it into NULL (strict_mode=false) or a filtered row (strict_mode=true).
 */
import { castBoolean, castText, checkInteger, renderFloating } from './sql-cast.ts';
import { sqlTypeName, type IntegerTypeName } from './column-type.ts';
import { minifyJson, renderJsonColumn, type JsonNode } from './json-value.ts';
import type { ColumnSchema } from './schema.ts';

export type SourceValue = JsonNode | { t: 'text'; v: string };

export type Conversion = { ok: true; value: string | null } | { ok: false; error: string };

const INTEGER_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function convertSource(column: ColumnSchema, src: SourceValue): Conversion {
  if (src.t === 'null') return ok(null);
  if (src.t === 'text') return cast(column, src.v);
  const { type, name } = column;
  switch (type.kind) {
    case 'integer':
      return type.name === 'LARGEINT' ? cast(column, nodeText(src)) : readInteger(column, type.name, src);
    case 'float':
    case 'double':
      return readFloating(name, type.kind, src);
    case 'boolean':
      return readBoolean(name, src);
    case 'char':
    case 'varchar': {
      const text = nodeText(src);
      // §6.3: capacity is in bytes.
      if (Buffer.byteLength(text) > type.length) {
        return fail(`Value length is beyond the capacity. column=${name}, capacity=${type.length}`);
      }
      return ok(text);
    }
    case 'json':
      // §6.3: a JSON string is stored as a JSON string, not re-parsed.
      return ok(renderJsonColumn(src));
    default:
      // DECIMAL, DATE, DATETIME: read as VARCHAR text, then cast.
      return cast(column, nodeText(src));
  }
}

/** The error of a cast that turned a non-NULL value into NULL under strict mode (§6.3). */
function castError(column: ColumnSchema, source: string): string {
  return `Value '${source}' is out of range. The type of '${column.name}' is ${sqlTypeName(column.type)}`;
}

function cast(column: ColumnSchema, text: string): Conversion {
  const value = castText(column.type, text);
  return value === null ? fail(castError(column, text)) : ok(value);
}

function readInteger(column: ColumnSchema, typeName: IntegerTypeName, src: JsonNode): Conversion {
  const overflow = (v: string) => fail(`Value is overflow. column=${column.name}, value=${v}`);
  let text: string;
  if (src.t === 'num') text = src.raw;
  else if (src.t === 'str') text = src.v.trim();
  else return fail(`Unsupported value type. Numeric type is required. column=${column.name}`);
  if (INTEGER_RE.test(text)) {
    const value = checkInteger(typeName, BigInt(text));
    return value === null ? overflow(text) : ok(value);
  }
  if (FLOAT_RE.test(text)) {
    // Floats are truncated toward zero (C cast), then range-checked.
    const truncated = Math.trunc(Number(text));
    const value = Number.isFinite(truncated) ? checkInteger(typeName, BigInt(truncated)) : null;
    return value === null ? overflow(text) : ok(value);
  }
  return fail(`Unable to cast string value to BIGINT. value=${text}, column=${column.name}`);
}

function readFloating(name: string, kind: 'float' | 'double', src: JsonNode): Conversion {
  let text: string;
  if (src.t === 'num') text = src.raw;
  else if (src.t === 'str' && FLOAT_RE.test(src.v.trim())) text = src.v.trim();
  else if (src.t === 'str') return fail(`Unable to cast string value to ${kind.toUpperCase()}. value=${src.v}, column=${name}`);
  else return fail(`Unsupported value type. Numeric type is required. column=${name}`);
  const value = renderFloating(kind, Number(text));
  return value === null ? fail(`Value is overflow. column=${name}, value=${text}`) : ok(value);
}

function readBoolean(name: string, src: JsonNode): Conversion {
  switch (src.t) {
    case 'bool':
      return ok(src.v ? '1' : '0');
    case 'num':
      return ok(Number(src.raw) !== 0 ? '1' : '0');
    case 'str': {
      const value = castBoolean(src.v.trim());
      return value === null ? fail(`Failed to parse string value as boolean. column=${name}, value=${src.v}`) : ok(value);
    }
    default:
      return fail('Unsupported value type to boolean');
  }
}

/** The text a value has when read as VARCHAR: raw number token, unescaped string, "1"/"0", minified JSON. */
function nodeText(src: JsonNode): string {
  switch (src.t) {
    case 'num':
      return src.raw;
    case 'str':
      return src.v;
    case 'bool':
      return src.v ? '1' : '0';
    default:
      return minifyJson(src);
  }
}

function ok(value: string | null): Conversion {
  return { ok: true, value };
}

function fail(error: string): Conversion {
  return { ok: false, error };
}
