/**
 * SQL casts from text, used for the types the JSON reader reads as VARCHAR and casts (LARGEINT,
 * DECIMAL, DATE, DATETIME: §6.3), for CSV fields and for DEFAULT literals. A failed cast is `null`.
 * Results are canonical MySQL text (what StarRocks' query port would print).
 */
import { integerRange, type ColumnType, type IntegerTypeName } from './column-type.ts';
import { parseJsonValue, renderJsonColumn, skipWhitespace } from './json-value.ts';

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function castText(type: ColumnType, raw: string): string | null {
  const text = type.kind === 'char' || type.kind === 'varchar' || type.kind === 'json' || type.kind === 'varbinary' ? raw : raw.trim();
  switch (type.kind) {
    case 'boolean':
      return castBoolean(text);
    case 'integer':
      return isIntegerLiteral(text) ? castInteger(type.name, text) : null;
    case 'float':
    case 'double': {
      if (!FLOAT_RE.test(text)) return null;
      return renderFloating(type.kind, Number(text));
    }
    case 'decimal':
      return castDecimal(text, type.precision, type.scale);
    case 'char':
    case 'varchar':
      return fitsBytes(text, type.length) ? text : null;
    case 'date':
      return castTemporal(text, false);
    case 'datetime':
      return castTemporal(text, true);
    case 'json':
      return castJson(text);
    case 'varbinary':
      return castBinary(Buffer.from(raw, 'utf8'), type.length);
  }
}

/** A VARCHAR cast to VARBINARY keeps its bytes; null when they exceed the length. */
export function castBinary(bytes: Buffer, length: number): string | null {
  return bytes.length <= length ? bytes.toString('hex').toUpperCase() : null;
}

export function castBoolean(text: string): string | null {
  if (isIntegerLiteral(text)) return BigInt(text) !== 0n ? '1' : '0';
  const lower = text.toLowerCase();
  if (lower === 'true') return '1';
  if (lower === 'false') return '0';
  return null;
}

export function checkInteger(name: IntegerTypeName, value: bigint): string | null {
  const { min, max } = integerRange(name);
  return value < min || value > max ? null : value.toString();
}

/** `[+-]digits`: what castInteger takes. A loop, as this checks every integer value a load reads. */
export function isIntegerLiteral(text: string): boolean {
  const first = text.charCodeAt(0);
  let i = first === MINUS || first === PLUS ? 1 : 0;
  if (i === text.length) return false;
  for (; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** An integer literal (`[+-]digits`) in canonical text, or null when the type cannot hold it. */
export function castInteger(name: IntegerTypeName, text: string): string | null {
  // Up to 15 characters a double holds the value exactly, and the rounded bounds of the wide
  // types are far beyond it: no BigInt for the usual short values.
  if (text.length > 15) return checkInteger(name, BigInt(text));
  const value = Number(text);
  const { minNumber, maxNumber } = integerRange(name);
  if (value < minNumber || value > maxNumber) return null;
  // Without `+` or a leading zero the literal is already canonical: no new string for it.
  const lead = text.charCodeAt(text.charCodeAt(0) === MINUS ? 1 : 0);
  return lead > ZERO && lead <= ZERO + 9 ? text : String(value);
}

/** §6.3: a string column's capacity is in UTF-8 bytes. */
export function fitsBytes(text: string, capacity: number): boolean {
  // A UTF-16 unit takes one to three bytes (a surrogate pair four for its two units), so most
  // values are decided by their length; ASCII text needs no encoding either.
  if (text.length > capacity) return false;
  if (text.length * 3 <= capacity) return true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text) <= capacity;
  }
  return true;
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
  const plain = plainDecimal(text, precision, scale);
  if (plain !== null) return plain;
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

/**
 * The usual input, `[+-]digits[.digits]` within the scale and precision, needs no rounding: its
 * canonical text is string work, without regex or BigInt. null: anything else, for the general path.
 */
function plainDecimal(text: string, precision: number, scale: number): string | null {
  const signed = text.charCodeAt(0) === MINUS || text.charCodeAt(0) === PLUS;
  let i = signed ? 1 : 0;
  while (text.charCodeAt(i) === ZERO) i++;
  const leadingZeros = i - (signed ? 1 : 0);
  const intStart = i;
  while (isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  if (i < text.length) {
    if (text.charCodeAt(i) !== DOT) return null;
    fracStart = ++i;
    while (isDigit(text.charCodeAt(i))) i++;
    if (i < text.length) return null;
  }
  const fracDigits = i - fracStart;
  if (leadingZeros + intEnd - intStart + fracDigits === 0) return null;
  if (fracDigits > scale || intEnd - intStart + scale > precision) return null;
  const negative = text.charCodeAt(0) === MINUS && (intStart < intEnd || hasNonZeroDigit(text, fracStart, i));
  // The usual input is canonical already (`1234.50` for scale 2): one leading zero only before the
  // point, all the scale's digits, `-` only on a non-zero value. It needs no new string.
  const canonicalSign = negative || !signed;
  const canonicalInt = leadingZeros === (intStart === intEnd ? 1 : 0);
  if (canonicalSign && canonicalInt && (scale === 0 ? fracStart === intEnd : fracDigits === scale)) return text;
  const intText = intStart === intEnd ? '0' : text.slice(intStart, intEnd);
  const body = scale === 0 ? intText : `${intText}.${text.slice(fracStart, i).padEnd(scale, '0')}`;
  return negative ? `-${body}` : body;
}

function hasNonZeroDigit(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) !== ZERO) return true;
  return false;
}

const ZERO = 0x30;
const DOT = 0x2e;
const MINUS = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const SPACE = 0x20;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

const DATE_TIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?$/;
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$/;

/**
 * DATE / DATETIME from `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`, `T` separator, `YYYYMMDD`,
 * `YYYYMMDDHHMMSS` ([unconfirmed list] §6.3). DATETIME prints microseconds only when non-zero.
 */
function castTemporal(text: string, withTime: boolean): string | null {
  const plain = plainTemporalLength(text);
  if (plain === 19) return withTime ? text : text.slice(0, 10);
  if (plain === 10) return withTime ? `${text} 00:00:00` : text;
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

/**
 * 19 for a valid `YYYY-MM-DD HH:MM:SS`, 10 for a valid `YYYY-MM-DD`: already canonical, checked
 * by hand as these are what clients send. 0: anything else, for the general path.
 */
function plainTemporalLength(text: string): 0 | 10 | 19 {
  if (text.length !== 10 && text.length !== 19) return 0;
  const century = twoDigits(text, 0);
  const year = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (century < 0 || year < 0 || text.charCodeAt(4) !== MINUS || text.charCodeAt(7) !== MINUS) return 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(century * 100 + year, month)) return 0;
  if (text.length === 10) return 10;
  if (text.charCodeAt(10) !== SPACE || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return 0;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 ? 19 : 0;
}

/** The number of the two digits at `i`, or -1. */
function twoDigits(text: string, i: number): number {
  const tens = text.charCodeAt(i);
  const ones = text.charCodeAt(i + 1);
  return isDigit(tens) && isDigit(ones) ? (tens - ZERO) * 10 + ones - ZERO : -1;
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
