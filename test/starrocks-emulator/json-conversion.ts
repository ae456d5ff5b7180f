/**
 * Per-type conversion of one source value into a column (§6.3). JSON values follow the JSON
 * reader's rules; CSV fields (`text`) go through a SQL cast. A failure carries the reason StarRocks
 * logs; the caller turns it into NULL (strict_mode=false) or a filtered row (strict_mode=true).
 */
import { castBinary, castBoolean, castInteger, castText, checkInteger, fitsBytes, isIntegerLiteral, renderFloating } from './sql-cast.ts';
import { sqlTypeName, type IntegerTypeName } from './column-type.ts';
import { minifyJson, renderJsonColumn, type JsonNode } from './json-value.ts';
import type { ColumnSchema } from './schema.ts';

/** `bytes`: what a `columns` mapping function such as from_base64() made of a source value. */
export type SourceValue = JsonNode | { t: 'text'; v: string } | { t: 'bytes'; v: Buffer };

/** Why a value does not convert. A class, so that a successful conversion allocates nothing. */
export class ConversionError {
  constructor(readonly message: string) {}
}

/** The column value (canonical text or NULL), or why the source value does not convert. */
export type Converted = string | null | ConversionError;

export type Converter = (src: SourceValue) => Converted;

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The column's converter, with the per-type choice made once per load rather than per value. */
export function converterFor(column: ColumnSchema): Converter {
  const read = jsonReaderFor(column);
  return (src) => (src.t === 'null' ? null : src.t === 'text' ? cast(column, src.v) : src.t === 'bytes' ? fromBytes(column, src.v) : read(src));
}

/** Bytes keep themselves in a VARBINARY column; elsewhere they are read as the VARCHAR they are. */
function fromBytes(column: ColumnSchema, bytes: Buffer): Converted {
  if (column.type.kind !== 'varbinary') return cast(column, bytes.toString('utf8'));
  return castBinary(bytes, column.type.length) ?? new ConversionError(`Value length is beyond the capacity. column=${column.name}, capacity=${column.type.length}`);
}

function jsonReaderFor(column: ColumnSchema): (src: JsonNode) => Converted {
  const { type, name } = column;
  switch (type.kind) {
    case 'integer': {
      const typeName = type.name;
      if (typeName === 'LARGEINT') return (src) => cast(column, nodeText(src));
      return (src) => readInteger(name, typeName, src);
    }
    case 'float':
    case 'double': {
      const kind = type.kind;
      return (src) => readFloating(name, kind, src);
    }
    case 'boolean':
      return (src) => readBoolean(name, src);
    case 'char':
    case 'varchar': {
      const capacity = type.length;
      return (src) => readString(name, capacity, src);
    }
    case 'json':
      // §6.3: a JSON string is stored as a JSON string, not re-parsed.
      return renderJsonColumn;
    case 'varbinary': {
      // Read as VARCHAR, then cast: a string's UTF-8 bytes, so a character U+00F0 is C3 B0.
      return (src) => fromBytes(column, Buffer.from(nodeText(src), 'utf8'));
    }
    default:
      // DECIMAL, DATE, DATETIME: read as VARCHAR text, then cast.
      return (src) => cast(column, nodeText(src));
  }
}

/** The error of a cast that turned a non-NULL value into NULL under strict mode (§6.3). */
function castError(column: ColumnSchema, source: string): ConversionError {
  return new ConversionError(`Value '${source}' is out of range. The type of '${column.name}' is ${sqlTypeName(column.type)}`);
}

function cast(column: ColumnSchema, text: string): Converted {
  return castText(column.type, text) ?? castError(column, text);
}

function readString(name: string, capacity: number, src: JsonNode): Converted {
  const text = nodeText(src);
  return fitsBytes(text, capacity) ? text : new ConversionError(`Value length is beyond the capacity. column=${name}, capacity=${capacity}`);
}

function readInteger(name: string, typeName: IntegerTypeName, src: JsonNode): Converted {
  let text: string;
  if (src.t === 'num') text = src.raw;
  else if (src.t === 'str') text = src.v.trim();
  else return new ConversionError(`Unsupported value type. Numeric type is required. column=${name}`);
  if (isIntegerLiteral(text)) return castInteger(typeName, text) ?? overflow(name, text);
  if (FLOAT_RE.test(text)) {
    // Floats are truncated toward zero (C cast), then range-checked.
    const truncated = Math.trunc(Number(text));
    const value = Number.isFinite(truncated) ? checkInteger(typeName, BigInt(truncated)) : null;
    return value ?? overflow(name, text);
  }
  return new ConversionError(`Unable to cast string value to BIGINT. value=${text}, column=${name}`);
}

function overflow(name: string, text: string): ConversionError {
  return new ConversionError(`Value is overflow. column=${name}, value=${text}`);
}

function readFloating(name: string, kind: 'float' | 'double', src: JsonNode): Converted {
  let text: string;
  if (src.t === 'num') text = src.raw;
  else if (src.t === 'str' && FLOAT_RE.test(src.v.trim())) text = src.v.trim();
  else if (src.t === 'str') return new ConversionError(`Unable to cast string value to ${kind.toUpperCase()}. value=${src.v}, column=${name}`);
  else return new ConversionError(`Unsupported value type. Numeric type is required. column=${name}`);
  return renderFloating(kind, Number(text)) ?? overflow(name, text);
}

function readBoolean(name: string, src: JsonNode): Converted {
  switch (src.t) {
    case 'bool':
      return src.v ? '1' : '0';
    case 'num':
      return Number(src.raw) !== 0 ? '1' : '0';
    case 'str':
      return castBoolean(src.v.trim()) ?? new ConversionError(`Failed to parse string value as boolean. column=${name}, value=${src.v}`);
    default:
      return new ConversionError('Unsupported value type to boolean');
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
