/** Databases and tables of the emulated cluster, and the DDL that changes them. */
import type { AlterJobs } from './alter-jobs.ts';
import type { DdlStatement, QualifiedName } from './ddl-parser.ts';
import { plannedColumns } from './schema-change.ts';
import { SqlError, ER_PARSE, ER_BAD_DB, ER_BAD_TABLE, ER_DB_CREATE_EXISTS, ER_DB_DROP_EXISTS, ER_TABLE_EXISTS } from './sql-error.ts';
import { TableStore } from './table-store.ts';
import type { TableSchema } from './schema.ts';

export interface Table {
  id: number;
  schema: TableSchema;
  store: TableStore;
}

/** information_schema exists in every cluster and cannot be changed. */
export const INFORMATION_SCHEMA = 'information_schema';

export class Catalog {
  private readonly databases = new Map<string, Map<string, Table>>();
  private nextTableId = 10001;

  constructor(
    private readonly now: () => number,
    /** Schema changes in flight and done, for SHOW ALTER TABLE COLUMN. */
    readonly alterJobs: AlterJobs,
  ) {}

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  hasDatabase(db: string): boolean {
    return this.databases.has(db);
  }

  /** Table names are case-sensitive (§7.2). */
  table(db: string, name: string): Table | undefined {
    return this.databases.get(db)?.get(name);
  }

  tables(db: string): Table[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  allTables(): Table[] {
    return [...this.databases.values()].flatMap((tables) => [...tables.values()]);
  }

  /** Looks a table up for a query; unknown database/table are MySQL errors. */
  requireTable(ref: QualifiedName, currentDb: string | null): Table {
    const db = this.resolveDb(ref, currentDb);
    const table = this.table(db, ref.name);
    if (!table) throw new SqlError(ER_BAD_TABLE, `Unknown table '${db}.${ref.name}'`);
    return table;
  }

  apply(stmt: DdlStatement, currentDb: string | null): void {
    switch (stmt.kind) {
      case 'create-database':
        if (this.databases.has(stmt.name) || stmt.name === INFORMATION_SCHEMA) {
          if (stmt.ifNotExists) return;
          throw new SqlError(ER_DB_CREATE_EXISTS, `Can't create database '${stmt.name}'; database exists`);
        }
        this.databases.set(stmt.name, new Map());
        return;
      case 'drop-database':
        for (const table of this.tables(stmt.name)) this.alterJobs.cancel(table);
        if (!this.databases.delete(stmt.name) && !stmt.ifExists) {
          throw new SqlError(ER_DB_DROP_EXISTS, `Can't drop database '${stmt.name}'; database doesn't exist`);
        }
        return;
      case 'create-table': {
        const db = this.resolveDb(stmt.table, currentDb);
        const tables = this.databases.get(db)!;
        if (tables.has(stmt.table.name)) {
          if (stmt.ifNotExists) return;
          throw new SqlError(ER_TABLE_EXISTS, `Table '${stmt.table.name}' already exists`);
        }
        const schema: TableSchema = { ...stmt.schema, db, name: stmt.table.name };
        tables.set(schema.name, { id: this.nextTableId, schema, store: new TableStore(schema, this.now) });
        // Ids also number the table's indexes (the base index is id + 1).
        this.nextTableId += 2;
        return;
      }
      case 'drop-table': {
        const db = this.resolveDb(stmt.table, currentDb);
        const table = this.table(db, stmt.table.name);
        if (table) this.alterJobs.cancel(table);
        if (!this.databases.get(db)!.delete(stmt.table.name) && !stmt.ifExists) {
          throw new SqlError(ER_BAD_TABLE, `Unknown table '${stmt.table.name}'`);
        }
        return;
      }
      case 'alter-table': {
        const table = this.requireTable(stmt.table, currentDb);
        this.alterJobs.checkNormal(table);
        const rename = stmt.changes.find((c) => c.kind === 'rename');
        if (rename && stmt.changes.length === 1) {
          renameColumn(table, rename.from, rename.to);
          return;
        }
        this.alterJobs.submit(table.schema.db, table, plannedColumns(table.schema, stmt.changes), stmt.timeoutSeconds);
        return;
      }
      case 'truncate-table':
        this.requireTable(stmt.table, currentDb).store.truncate();
        return;
    }
  }

  private resolveDb(ref: QualifiedName, currentDb: string | null): string {
    const db = ref.db ?? currentDb;
    if (db === null) throw new SqlError(1046, 'No database selected');
    if (!this.databases.has(db)) throw new SqlError(ER_BAD_DB, `Unknown database '${db}'`);
    return db;
  }
}

/**
 * RENAME COLUMN (3.3.2+) changes metadata only and is done when the statement returns. The column
 * keeps its identity, so a load built before the rename still lands in it. Error texts are
 * [unconfirmed].
 */
function renameColumn(table: Table, from: string, to: string): void {
  const { schema } = table;
  const column = schema.columns.find((c) => c.name.toLowerCase() === from.toLowerCase());
  if (!column) throw new SqlError(ER_PARSE, `Column[${from}] does not exists`);
  if (schema.columns.some((c) => c !== column && c.name.toLowerCase() === to.toLowerCase())) throw new SqlError(ER_PARSE, `Column[${to}] already exists`);
  if (schema.distribution.kind === 'hash' && schema.distribution.columns.some((c) => c.toLowerCase() === from.toLowerCase())) {
    schema.distribution = { ...schema.distribution, columns: schema.distribution.columns.map((c) => (c.toLowerCase() === from.toLowerCase() ? to : c)) };
  }
  column.name = to;
}
