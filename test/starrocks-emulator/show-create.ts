/**
 * `SHOW CREATE TABLE` text (§7.1, doc example of SHOW_CREATE_TABLE): backquoted names, lower-case
 * types with display width, NULL/NOT NULL, `DEFAULT "x"`, `COMMENT ""`, `) ENGINE=OLAP `, the key
 * clause, table comment, distribution, and PROPERTIES with the defaults a 3.x FE prints.
 */
import { columnTypeText, type ColumnType } from './column-type.ts';
import type { ColumnSchema, KeysType, TableSchema } from './schema.ts';

const KEY_CLAUSE: Record<KeysType, string> = { PRIMARY: 'PRIMARY KEY', DUPLICATE: 'DUPLICATE KEY', UNIQUE: 'UNIQUE KEY', AGGREGATE: 'AGGREGATE KEY' };

export function showCreateTable(schema: TableSchema): string {
  const names = (list: string[]) => list.map((n) => `\`${n}\``).join(', ');
  const lines = [`CREATE TABLE \`${schema.name}\` (`, schema.columns.map(columnLine).join(',\n'), ') ENGINE=OLAP '];
  lines.push(`${KEY_CLAUSE[schema.keysType]}(${names(schema.columns.filter((c) => c.isKey).map((c) => c.name))})`);
  if (schema.comment !== '') lines.push(`COMMENT "${schema.comment}"`);
  const { distribution } = schema;
  // The doc's two examples: `HASH(`k1`)` alone, `HASH(`k1`) BUCKETS 10 ` with a trailing space.
  const buckets = distribution.buckets === null ? '' : ` BUCKETS ${distribution.buckets} `;
  lines.push(`DISTRIBUTED BY ${distribution.kind === 'hash' ? `HASH(${names(distribution.columns)})` : 'RANDOM'}${buckets}`);
  lines.push('PROPERTIES (', Object.entries(properties(schema)).map(([k, v]) => `"${k}" = "${v}"`).join(',\n'), ');');
  return lines.join('\n');
}

function columnLine(c: ColumnSchema): string {
  const parts = [`  \`${c.name}\``, typeText(c.type)];
  if (c.aggregate) parts.push(c.aggregate);
  parts.push(c.nullable ? 'NULL' : 'NOT NULL');
  if (c.default.kind === 'current_timestamp') parts.push('DEFAULT CURRENT_TIMESTAMP');
  if (c.default.kind === 'value' && c.default.literal !== null) parts.push(`DEFAULT "${c.default.literal}"`);
  parts.push(`COMMENT "${c.comment}"`);
  return parts.join(' ');
}

/** `int(11)`, `varchar(65533)`, and DECIMAL with its storage width: `decimal64(10, 2)` (§7.2). */
function typeText(t: ColumnType): string {
  if (t.kind !== 'decimal') return columnTypeText(t);
  const bits = t.precision <= 9 ? 32 : t.precision <= 18 ? 64 : 128;
  return `decimal${bits}(${t.precision}, ${t.scale})`;
}

/**
 * The printed defaults first, in the FE's order; `fast_schema_evolution` only when true; other
 * properties the table was created with after them. Persistent index defaults to on for Primary
 * Key tables ([unconfirmed] per 3.x minor version).
 */
function properties(schema: TableSchema): Record<string, string> {
  const given = schema.properties;
  const printed: Record<string, string> = {
    replication_num: given.replication_num ?? '3',
    in_memory: given.in_memory ?? 'false',
    enable_persistent_index: given.enable_persistent_index ?? String(schema.keysType === 'PRIMARY'),
    replicated_storage: given.replicated_storage ?? 'true',
  };
  if (given.fast_schema_evolution?.toLowerCase() === 'true') printed.fast_schema_evolution = 'true';
  printed.compression = given.compression ?? 'LZ4';
  for (const [key, value] of Object.entries(given)) if (!(key in printed) && key !== 'fast_schema_evolution') printed[key] = value;
  return printed;
}
