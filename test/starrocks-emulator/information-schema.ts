/**
 * information_schema views over the catalog (§7.1): COLUMNS with StarRocks' COLUMN_KEY / COLUMN_SIZE
 * / DECIMAL_DIGITS, TABLES, SCHEMATA and tables_config; plus DESC.
 */
import { INFORMATION_SCHEMA, type Catalog, type Table } from './catalog.ts';
import { columnSize, columnTypeText, dataTypeName, decimalDigits, sqlTypeName, type ColumnType } from './column-type.ts';
import { columnKeyLabel, keyColumns, tableModel, type ColumnSchema } from './schema.ts';
import type { ResultSet } from './select-engine.ts';
import { SqlError, ER_BAD_TABLE } from './sql-error.ts';
import type { Row } from './table-store.ts';

const TEXT: ColumnType = { kind: 'varchar', length: 65533 };
const NUMBER: ColumnType = { kind: 'integer', name: 'BIGINT' };

type View = (catalog: Catalog) => ResultSet;

const VIEWS: Record<string, View> = {
  columns: columnsView,
  tables: tablesView,
  schemata: schemataView,
  tables_config: tablesConfigView,
};

export function informationSchemaView(catalog: Catalog, name: string): ResultSet {
  const view = VIEWS[name.toLowerCase()];
  if (!view) throw new SqlError(ER_BAD_TABLE, `Unknown table '${INFORMATION_SCHEMA}.${name}'`);
  return view(catalog);
}

function resultSet(spec: [string, ColumnType][], rows: Row[]): ResultSet {
  return { columns: spec.map(([name, type]) => ({ name, type })), rows };
}

const num = (n: number | null): string | null => (n === null ? null : String(n));

function columnsView(catalog: Catalog): ResultSet {
  const rows = catalog.allTables().flatMap((t) =>
    t.schema.columns.map((c, i): Row => {
      const isText = c.type.kind === 'char' || c.type.kind === 'varchar';
      const isNumber = ['integer', 'float', 'double', 'decimal'].includes(c.type.kind);
      return [
        'def',
        t.schema.db,
        t.schema.name,
        c.name,
        String(i + 1),
        defaultText(c),
        c.nullable ? 'YES' : 'NO',
        dataTypeName(c.type),
        isText ? num(columnSize(c.type)) : null,
        isText ? num(columnSize(c.type)) : null,
        isNumber ? num(columnSize(c.type)) : null,
        isNumber ? num(decimalDigits(c.type)) : null,
        null,
        isText ? 'utf8' : null,
        isText ? 'utf8_general_ci' : null,
        columnTypeText(c.type),
        c.isKey ? columnKeyLabel(t.schema.keysType) : '',
        c.aggregate ?? '',
        'SELECT,INSERT,UPDATE,REFERENCES',
        c.comment,
        num(columnSize(c.type)),
        num(decimalDigits(c.type)),
        null,
        null,
      ];
    }),
  );
  return resultSet(
    [
      ['TABLE_CATALOG', TEXT],
      ['TABLE_SCHEMA', TEXT],
      ['TABLE_NAME', TEXT],
      ['COLUMN_NAME', TEXT],
      ['ORDINAL_POSITION', NUMBER],
      ['COLUMN_DEFAULT', TEXT],
      ['IS_NULLABLE', TEXT],
      ['DATA_TYPE', TEXT],
      ['CHARACTER_MAXIMUM_LENGTH', NUMBER],
      ['CHARACTER_OCTET_LENGTH', NUMBER],
      ['NUMERIC_PRECISION', NUMBER],
      ['NUMERIC_SCALE', NUMBER],
      ['DATETIME_PRECISION', NUMBER],
      ['CHARACTER_SET_NAME', TEXT],
      ['COLLATION_NAME', TEXT],
      ['COLUMN_TYPE', TEXT],
      ['COLUMN_KEY', TEXT],
      ['EXTRA', TEXT],
      ['PRIVILEGES', TEXT],
      ['COLUMN_COMMENT', TEXT],
      ['COLUMN_SIZE', NUMBER],
      ['DECIMAL_DIGITS', NUMBER],
      ['GENERATION_EXPRESSION', TEXT],
      ['SRS_ID', NUMBER],
    ],
    rows,
  );
}

function tablesView(catalog: Catalog): ResultSet {
  return resultSet(
    [
      ['TABLE_CATALOG', TEXT],
      ['TABLE_SCHEMA', TEXT],
      ['TABLE_NAME', TEXT],
      ['TABLE_TYPE', TEXT],
      ['ENGINE', TEXT],
      ['TABLE_ROWS', NUMBER],
      ['TABLE_COMMENT', TEXT],
    ],
    catalog.allTables().map((t) => ['def', t.schema.db, t.schema.name, 'BASE TABLE', 'StarRocks', String(t.store.count), t.schema.comment]),
  );
}

function schemataView(catalog: Catalog): ResultSet {
  return resultSet(
    [
      ['CATALOG_NAME', TEXT],
      ['SCHEMA_NAME', TEXT],
      ['DEFAULT_CHARACTER_SET_NAME', TEXT],
      ['DEFAULT_COLLATION_NAME', TEXT],
      ['SQL_PATH', TEXT],
    ],
    [INFORMATION_SCHEMA, ...catalog.databaseNames()].map((db) => ['def', db, 'utf8', 'utf8_general_ci', null]),
  );
}

/** §7.1 tables_config; the list formatting of key columns is [unconfirmed]. */
function tablesConfigView(catalog: Catalog): ResultSet {
  const list = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');
  return resultSet(
    [
      ['TABLE_SCHEMA', TEXT],
      ['TABLE_NAME', TEXT],
      ['TABLE_ENGINE', TEXT],
      ['TABLE_MODEL', TEXT],
      ['PRIMARY_KEY', TEXT],
      ['PARTITION_KEY', TEXT],
      ['DISTRIBUTE_KEY', TEXT],
      ['DISTRIBUTE_TYPE', TEXT],
      ['DISTRIBUTE_BUCKET', NUMBER],
      ['SORT_KEY', TEXT],
      ['PROPERTIES', TEXT],
      ['TABLE_ID', NUMBER],
    ],
    catalog.allTables().map((t: Table) => {
      const { schema } = t;
      const keys = keyColumns(schema).map((c) => c.name);
      const hasPrimary = schema.keysType === 'PRIMARY' || schema.keysType === 'UNIQUE';
      return [
        schema.db,
        schema.name,
        'OLAP',
        tableModel(schema.keysType),
        hasPrimary ? list(keys) : '',
        '',
        schema.distribution.kind === 'hash' ? list(schema.distribution.columns) : '',
        schema.distribution.kind === 'hash' ? 'HASH' : 'RANDOM',
        num(schema.distribution.buckets ?? 0),
        list(keys),
        JSON.stringify(schema.properties),
        String(t.id),
      ];
    }),
  );
}

/** `DESC t`: Field, Type, Null, Key (sort key: true/false), Default, Extra (§7.1). */
export function describeTable(table: Table): ResultSet {
  return resultSet(
    [
      ['Field', TEXT],
      ['Type', TEXT],
      ['Null', TEXT],
      ['Key', TEXT],
      ['Default', TEXT],
      ['Extra', TEXT],
    ],
    table.schema.columns.map((c) => [c.name, sqlTypeName(c.type), c.nullable ? 'YES' : 'NO', String(c.isKey), defaultText(c), c.aggregate ?? '']),
  );
}

function defaultText(c: ColumnSchema): string | null {
  if (c.default.kind === 'value') return c.default.text;
  if (c.default.kind === 'current_timestamp') return 'CURRENT_TIMESTAMP';
  return null;
}
