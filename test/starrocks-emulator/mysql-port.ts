/**
 * The FE query port (MySQL protocol, §7). mysql2's server mode does the handshake; the emulator
 * checks mysql_native_password itself and writes every reply packet (mysql-packets.ts).
 */
import { createHash } from 'node:crypto';
import type { Server as NetServer } from 'node:net';
import mysql from 'mysql2';
import type { Catalog } from './catalog.ts';
import type { Users } from './http-auth.ts';
import {
  binaryRowPacket,
  columnCountPacket,
  columnDefinitionPacket,
  eofPacket,
  errorPacket,
  okPacket,
  prepareOkPacket,
  textRowPacket,
  type RawPacket,
} from './mysql-packets.ts';
import { MYSQL_SERVER_VERSION, runStatement, useDatabase, type Session, type StatementResult } from './mysql-statements.ts';
import { SqlError, ER_ACCESS_DENIED, ER_BAD_DB } from './sql-error.ts';
import { tokenize } from './sql-lexer.ts';

export interface MysqlPortContext {
  users: Users;
  catalog: Catalog;
}

/** The parts of a mysql2 server-side connection the port uses (its typings omit server mode). */
interface ServerConnection {
  sequenceId: number;
  serverHandshake(args: unknown): void;
  writePacket(packet: RawPacket): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

interface AuthParams {
  user: string;
  database?: string;
  address?: string;
  authPluginData1: Buffer;
  authPluginData2: Buffer;
  authToken: Buffer;
}

type AuthDone = (err: null, mysqlError?: { message: string; code: number }) => void;

const COM_STMT_PREPARE = 0x16;
/** LONG_PASSWORD|FOUND_ROWS|LONG_FLAG|CONNECT_WITH_DB|PROTOCOL_41|TRANSACTIONS|SECURE_CONNECTION|MULTI_RESULTS|PLUGIN_AUTH; no DEPRECATE_EOF. */
const CAPABILITIES = 0x1 | 0x2 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000;

/** Returns the listening socket server (net.Server) so the emulator can take the port down and up. */
export function createMysqlServer(ctx: MysqlPortContext): NetServer {
  let nextConnectionId = 1;
  const server = mysql.createServer((conn) => {
    startSession(ctx, conn as unknown as ServerConnection, nextConnectionId++);
  });
  // mysql2's Server wraps a net.Server it does not expose in its typings.
  return (server as unknown as { _server: NetServer })._server;
}

function startSession(ctx: MysqlPortContext, conn: ServerConnection, connectionId: number): void {
  const session: Session = { currentDb: null, user: '', connectionId };
  const statements = new Map<number, { sql: string; paramCount: number }>();
  let lastCommand = 0;
  let nextStatementId = 1;

  /** Writes one complete reply; the next command from the client starts at sequence 0 again. */
  const reply = (packets: RawPacket[]) => {
    for (const p of packets) conn.writePacket(p);
    conn.sequenceId = 0;
  };
  const guarded = (work: () => RawPacket[]) => {
    try {
      reply(work());
    } catch (e) {
      if (e instanceof SqlError) reply([errorPacket(e.code, e.message)]);
      else reply([errorPacket(1105, e instanceof Error ? e.message : String(e))]);
    }
  };
  const text = (sql: string) => guarded(() => resultPackets(runStatement(ctx.catalog, session, sql), false));

  conn.serverHandshake({
    protocolVersion: 10,
    serverVersion: MYSQL_SERVER_VERSION,
    connectionId,
    statusFlags: 2,
    characterSet: 33,
    capabilityFlags: CAPABILITIES,
    authCallback: (params: AuthParams, done: AuthDone) => {
      const address = (params.address ?? '').replace(/^::ffff:/, '');
      if (!checkNativePassword(ctx.users.password(params.user), params)) {
        const usingPassword = params.authToken.length > 0 ? 'YES' : 'NO';
        return done(null, { code: ER_ACCESS_DENIED, message: `Access denied for user '${params.user}'@'${address}' (using password: ${usingPassword})` });
      }
      session.user = params.user;
      if (params.database) {
        if (!ctx.catalog.hasDatabase(params.database)) return done(null, { code: ER_BAD_DB, message: `Unknown database '${params.database}'` });
        session.currentDb = params.database;
      }
      done(null);
      conn.sequenceId = 0;
    },
  });

  conn.on('packet', (_packet: never, _known: never, commandCode: number) => {
    lastCommand = commandCode;
  });
  conn.on('query', text);
  // mysql2 routes COM_QUERY `SET ...`/`PREPARE ...` here too; the command code (known only after
  // this event) tells a real COM_STMT_PREPARE apart.
  conn.on('stmt_prepare', (sql: string) => {
    setImmediate(() => {
      if (lastCommand !== COM_STMT_PREPARE) return text(sql);
      guarded(() => {
        const paramCount = tokenize(sql).filter((t) => t.kind === 'param').length;
        const id = nextStatementId++;
        statements.set(id, { sql, paramCount });
        const params = Array.from({ length: paramCount }, () => columnDefinitionPacket({ name: '?', type: { kind: 'varchar', length: 65533 } }));
        return [prepareOkPacket(id, 0, paramCount), ...params, ...(paramCount > 0 ? [eofPacket()] : [])];
      });
    });
  });
  conn.on('stmt_execute', (id: number, _flags: never, _iterations: never, values: unknown[] | null) => {
    guarded(() => {
      const stmt = statements.get(id);
      if (!stmt) throw new SqlError(1243, `Unknown prepared statement handler (${id}) given to mysqld_stmt_execute`);
      const params = (values ?? []).map((v) => (v === null || v === undefined ? null : String(v)));
      return resultPackets(runStatement(ctx.catalog, session, stmt.sql, params), true);
    });
  });
  conn.on('init_db', (db: string) => guarded(() => (useDatabase(ctx.catalog, session, db), [okPacket()])));
  conn.on('ping', () => reply([okPacket()]));
  // Socket errors end the session; nothing to report to anyone.
  conn.on('error', () => {});
}

function resultPackets(result: StatementResult, binary: boolean): RawPacket[] {
  if (result.kind === 'ok') return [okPacket(result.affectedRows)];
  const { columns, rows } = result.result;
  return [
    columnCountPacket(columns.length),
    ...columns.map(columnDefinitionPacket),
    eofPacket(),
    ...rows.map((row) => (binary ? binaryRowPacket(columns, row) : textRowPacket(row))),
    eofPacket(),
  ];
}

/** mysql_native_password: token = SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))); empty for no password. */
function checkNativePassword(password: string | undefined, params: AuthParams): boolean {
  if (password === undefined) return false;
  if (password === '') return params.authToken.length === 0;
  const sha1 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha1')).digest();
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const scramble = Buffer.concat([params.authPluginData1.subarray(0, 8), params.authPluginData2.subarray(0, 12)]);
  const mask = sha1(scramble, sha1(stage1));
  const expected = Buffer.from(stage1.map((b, i) => b ^ mask[i]!));
  return params.authToken.length === expected.length && expected.equals(params.authToken);
}
