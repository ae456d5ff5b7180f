/** A MySQL-protocol error as the FE query port reports it (§7.1 error conventions). */
export class SqlError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

export const ER_DB_CREATE_EXISTS = 1007;
export const ER_DB_DROP_EXISTS = 1008;
export const ER_ACCESS_DENIED = 1045;
export const ER_BAD_DB = 1049;
export const ER_TABLE_EXISTS = 1050;
export const ER_BAD_TABLE = 1051;
export const ER_PARSE = 1064;

/** Analyzer errors surface as 1064 with this prefix (§7.1, exact prefix unconfirmed for 3.x). */
export function analysisError(detail: string): SqlError {
  return new SqlError(ER_PARSE, `Getting analyzing error. Detail message: ${detail}`);
}

export function unsupported(sql: string): SqlError {
  return new SqlError(ER_PARSE, `Getting syntax error: statement not supported by the StarRocks emulator: ${sql}`);
}
