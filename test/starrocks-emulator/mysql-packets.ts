/**
 * MySQL protocol packets the query port writes itself: result sets (text and binary), OK/EOF,
 * errors with their SQLSTATE, COM_STMT_PREPARE_OK. mysql2's server mode does the handshake only.
 */
import { mysqlWireType, MYSQL_TYPE } from './column-type.ts';
import type { ResultColumn } from './select-engine.ts';

/** What mysql2's `connection.writePacket()` needs: a buffer with 4 header bytes to fill in. */
export interface RawPacket {
  buffer: Buffer;
  length(): number;
  writeHeader(sequenceId: number): void;
}

const UTF8_GENERAL_CI = 33;
const BINARY = 63;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

class PacketBuilder {
  private readonly parts: Buffer[] = [];

  int1(n: number): this {
    return this.push(Buffer.from([n & 0xff]));
  }

  int2(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return this.push(b);
  }

  int4(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return this.push(b);
  }

  bytes(b: Buffer): this {
    return this.push(b);
  }

  /** Length-encoded integer. */
  lenInt(n: number): this {
    if (n < 251) return this.int1(n);
    if (n < 0x10000) return this.int1(0xfc).int2(n);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return n < 0x1000000 ? this.int1(0xfd).push(b.subarray(0, 3)) : this.int1(0xfe).push(b);
  }

  lenStr(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.lenInt(b.length).push(b);
  }

  build(): RawPacket {
    const buffer = Buffer.concat([Buffer.alloc(4), ...this.parts]);
    return {
      buffer,
      length: () => buffer.length,
      writeHeader(sequenceId: number) {
        buffer.writeUIntLE(buffer.length - 4, 0, 3);
        buffer[3] = sequenceId;
      },
    };
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
}

export function okPacket(affectedRows = 0): RawPacket {
  return new PacketBuilder().int1(0).lenInt(affectedRows).lenInt(0).int2(SERVER_STATUS_AUTOCOMMIT).int2(0).build();
}

export function eofPacket(): RawPacket {
  return new PacketBuilder().int1(0xfe).int2(0).int2(SERVER_STATUS_AUTOCOMMIT).build();
}

const SQL_STATE: Record<number, string> = {
  1045: '28000',
  1046: '3D000',
  1049: '42000',
  1050: '42S01',
  1051: '42S02',
  1064: '42000',
};

export function errorPacket(code: number, message: string): RawPacket {
  return new PacketBuilder()
    .int1(0xff)
    .int2(code)
    .bytes(Buffer.from(`#${SQL_STATE[code] ?? 'HY000'}`, 'ascii'))
    .bytes(Buffer.from(message, 'utf8'))
    .build();
}

export function columnCountPacket(count: number): RawPacket {
  return new PacketBuilder().lenInt(count).build();
}

export function columnDefinitionPacket(column: ResultColumn): RawPacket {
  const { type } = column;
  const textual = ['char', 'varchar', 'json'].includes(type.kind);
  const decimals = type.kind === 'decimal' ? type.scale : type.kind === 'float' || type.kind === 'double' ? 31 : 0;
  return new PacketBuilder()
    .lenStr('def')
    .lenStr('')
    .lenStr('')
    .lenStr('')
    .lenStr(column.name)
    .lenStr(column.name)
    .int1(0x0c)
    .int2(textual ? UTF8_GENERAL_CI : BINARY)
    .int4(type.kind === 'varchar' || type.kind === 'char' ? Math.min(type.length * 3, 0xffffffff) : 65535)
    .int1(mysqlWireType(type))
    .int2(0)
    .int1(decimals)
    .int2(0)
    .build();
}

export function textRowPacket(values: (string | null)[]): RawPacket {
  const b = new PacketBuilder();
  for (const v of values) {
    if (v === null) b.int1(0xfb);
    else b.lenStr(v);
  }
  return b.build();
}

/** A binary-protocol row (COM_STMT_EXECUTE): NULL bitmap with offset 2, then typed values. */
export function binaryRowPacket(columns: ResultColumn[], values: (string | null)[]): RawPacket {
  const bitmap = Buffer.alloc(Math.floor((columns.length + 7 + 2) / 8));
  const b = new PacketBuilder().int1(0);
  const body = new PacketBuilder();
  columns.forEach((column, i) => {
    const v = values[i] ?? null;
    if (v === null) {
      bitmap[(i + 2) >> 3]! |= 1 << ((i + 2) & 7);
      return;
    }
    writeBinaryValue(body, mysqlWireType(column.type), v);
  });
  return b.bytes(bitmap).bytes(body.build().buffer.subarray(4)).build();
}

function writeBinaryValue(b: PacketBuilder, wireType: number, v: string): void {
  const fixed = (size: number, write: (buf: Buffer) => void) => {
    const buf = Buffer.alloc(size);
    write(buf);
    b.bytes(buf);
  };
  switch (wireType) {
    case MYSQL_TYPE.TINY:
      return fixed(1, (buf) => buf.writeInt8(Number(v)));
    case MYSQL_TYPE.SHORT:
      return fixed(2, (buf) => buf.writeInt16LE(Number(v)));
    case MYSQL_TYPE.LONG:
      return fixed(4, (buf) => buf.writeInt32LE(Number(v)));
    case MYSQL_TYPE.LONGLONG:
      return fixed(8, (buf) => buf.writeBigInt64LE(BigInt(v)));
    case MYSQL_TYPE.FLOAT:
      return fixed(4, (buf) => buf.writeFloatLE(Number(v)));
    case MYSQL_TYPE.DOUBLE:
      return fixed(8, (buf) => buf.writeDoubleLE(Number(v)));
    case MYSQL_TYPE.DATE:
    case MYSQL_TYPE.DATETIME: {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{6}))?)?$/.exec(v)!;
      const micros = Number(m[7] ?? 0);
      b.int1(micros ? 11 : m[4] ? 7 : 4).int2(Number(m[1])).int1(Number(m[2])).int1(Number(m[3]));
      if (m[4]) b.int1(Number(m[4])).int1(Number(m[5])).int1(Number(m[6]));
      if (micros) b.int4(micros);
      return;
    }
    default:
      b.lenStr(v);
  }
}

export function prepareOkPacket(statementId: number, columnCount: number, paramCount: number): RawPacket {
  return new PacketBuilder().int1(0).int4(statementId).int2(columnCount).int2(paramCount).int1(0).int2(0).build();
}
