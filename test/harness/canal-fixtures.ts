/**
 * canal flat messages as canal writes them (cdc-formats.md §A.2): keys in fastjson's alphabetical
 * order, every value a string or null, `old` only on UPDATE.
 */
export type Row = Record<string, string | null>

let batchId = 1

export function canal(
  type: 'INSERT' | 'UPDATE' | 'DELETE',
  database: string,
  table: string,
  data: Row[],
  opts: { old?: Row[]; pkNames?: string[]; es?: number; mysqlType?: Record<string, string> } = {},
): string {
  const columns = Object.keys(data[0] ?? {})
  return JSON.stringify({
    data,
    database,
    es: opts.es ?? 1_700_000_000_000,
    id: batchId++,
    isDdl: false,
    mysqlType: Object.fromEntries(columns.map((c) => [c, opts.mysqlType?.[c] ?? 'varchar(255)'])),
    old: type === 'UPDATE' ? (opts.old ?? null) : null,
    pkNames: opts.pkNames ?? ['id'],
    sql: '',
    sqlType: Object.fromEntries(columns.map((c) => [c, 12])),
    table,
    ts: Date.now(),
    type,
  })
}

export function canalDdl(database: string, table: string, sql: string, type = 'ALTER'): string {
  return JSON.stringify({
    data: null,
    database,
    es: 1_700_000_000_000,
    id: batchId++,
    isDdl: true,
    mysqlType: null,
    old: null,
    pkNames: null,
    sql,
    sqlType: null,
    table,
    ts: Date.now(),
    type,
  })
}
