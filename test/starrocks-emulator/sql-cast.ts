/**
 * SQL casts from text, used for the types the JSON reader reads as VARCHAR and casts (LARGEINT,
 * DECIMAL, DATE, DATETIME: §6.3), for CSV fields and for DEFAULT literals. A failed cast is `null`.
 * Results are canonical MySQL text (what StarRocks' query port would print).
 */
import { integerRange, type ColumnType, type IntegerTypeName } from './column-type.ts';
import { parseJsonValue, renderJsonColumn, skipWhitespace } from './json-value.ts';

const INTEGER_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function castText(type: ColumnType, raw: string): string | null {
  const text = type.kind === 'char' || type.kind === 'varchar' || type.kind === 'json' ? raw : raw.trim();
  switch (type.kind) {
    case 'boolean':
      return castBoolean(text);
    case 'integer':
      return INTEGER_RE.test(text) ? checkInteger(type.name, BigInt(text)) : null;
    case 'float':
    case 'double': {
      if (!FLOAT_RE.test(text)) return null;
      return renderFloating(type.kind, Number(text));
    }
    case 'decimal':
      return castDecimal(text, type.precision, type.scale);
    case 'char':
    case 'varchar':
      return Buffer.byteLength(text) <= type.length ? text : null;
    case 'date':
      return castTemporal(text, false);
    case 'datetime':
      return castTemporal(text, true);
    case 'json':
      return castJson(text);
  }
}

export function castBoolean(text: string): string | null {
  if (INTEGER_RE.test(text)) return BigInt(text) !== 0n ? '1' : '0';
  const lower = text.toLowerCase();
  if (lower === 'true') return '1';
  if (lower === 'false') return '0';
  return null;
}

export function checkInteger(name: IntegerTypeName, value: bigint): string | null {
  const { min, max } = integerRange(name);
  return value < min || value > max ? null : value.toString();
}

/** FLOAT keeps float32 precision and prints the shortest text that reads back the same float. */
export function renderFloating(kind: 'float' | 'double', n: number): string | null {
  if (!Number.isFinite(n)) return null;
  if (kind === 'double') return String(n);
  const f = Math.fround(n);
  if (!Number.isFinite(f)) return null;
  for (let digits = 1; digits < 10; digits++) {
    const text = String(Number(f.toPrecision(digits)));
    if (Math.fround(Number(text)) === f) return text;
  }
  return String(f);
}

/** DECIMAL(p,s): rounds half away from zero to the scale; too many integer digits fails the cast. */
export function castDecimal(text: string, precision: number, scale: number): string | null {
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart === '' && fracPart === '') return null;
  let unscaled = BigInt(intPart + fracPart || '0');
  const shift = Number(m[4] ?? 0) - fracPart.length + scale;
  if (shift >= 0) {
    if (unscaled !== 0n && shift > precision + 1) return null;
    unscaled *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(Math.min(-shift, 400));
    const rest = unscaled % divisor;
    unscaled = unscaled / divisor + (rest * 2n >= divisor ? 1n : 0n);
  }
  if (unscaled >= 10n ** BigInt(precision)) return null;
  const digits = unscaled.toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return m[1] === '-' && unscaled !== 0n ? `-${body}` : body;
}

const DATE_TIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?$/;
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$/;

/**
 * DATE / DATETIME from `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`, `T` separator, `YYYYMMDD`,
 * `YYYYMMDDHHMMSS` ([unconfirmed list] §6.3). DATETIME prints microseconds only when non-zero.
 */
function castTemporal(text: string, withTime: boolean): string | null {
  const m = DATE_TIME_RE.exec(text) ?? COMPACT_RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const micros = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  const date = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
  if (!withTime) return date;
  const time = `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
  return micros === '000000' ? `${date} ${time}` : `${date} ${time}.${micros}`;
}

/** A JSON column fed from text parses it; trailing garbage fails the cast. */
function castJson(text: string): string | null {
  try {
    const { node, end } = parseJsonValue(text, 0);
    return skipWhitespace(text, end) === text.length ? renderJsonColumn(node) : null;
  } catch {
    return null;
  }
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
