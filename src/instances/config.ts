import { z } from 'zod'
import { english, say } from '../messages.ts'
import { parseJdbcUrl } from '../starrocks/starrocks-schema.ts'

/**
 * What an operator configures, checked at the door (docs/design.md invariant 6). Field names are the
 * user's own (`kafkaBootstrap`, `passWord`, `commitBatch` …) so a canal-admin user recognises them.
 */
export const consumerPolicies = ['E-C', 'E-B', 'L-C', 'L-B'] as const
export type ConsumerPolicy = (typeof consumerPolicies)[number]

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, english('field.name_format'))

const isHostPort = (s: string) => {
  const match = /^[^\s,:]+:(\d{1,5})$/.exec(s)
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65535
}
// Kafka's own rule for topic names.
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, english('field.topic_format'))

const defaultStallAfterMs = 60_000

export const instanceConfigSchema = z.object({
  name,
  kafkaBootstrap: z
    .string()
    .transform((s) => s.split(',').map((h) => h.trim()).filter((h) => h !== ''))
    .refine((hosts) => hosts.length > 0 && hosts.every(isHostPort), english('field.bootstrap_format'))
    .transform((hosts) => hosts.join(',')),
  topics: z.array(topic).min(1, english('field.topics_required')).refine((t) => new Set(t).size === t.length, english('field.topics_repeat')),
  mappingEnv: name,
  jdbcUrl: z.string().refine((url) => {
    try {
      parseJdbcUrl(url)
      return true
    } catch {
      return false
    }
  }, english('field.jdbc_url_format')),
  feHost: z.string().regex(/^[^\s/:]+$/, english('field.fe_host_format')),
  feHttpPort: z.number().int().min(1).max(65535),
  userName: z.string().min(1),
  passWord: z.string(),
  // The user's document: "anything else means E-C".
  consumerPolicy: z
    .string()
    .optional()
    .transform((p): ConsumerPolicy => (consumerPolicies as readonly string[]).includes(p ?? '') ? (p as ConsumerPolicy) : 'E-C'),
  commitBatch: z.number().int().min(1).max(1_000_000).default(10_000),
  commitTimeout: z.number().int().min(10).max(3_600_000).default(1_000),
  maxBatchBytes: z.number().int().min(1024).max(90 * 1024 * 1024).default(16 * 1024 * 1024),
  loadTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
  retryBackoffMs: z.number().int().min(10).max(600_000).default(1_000),
  retryBackoffMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
  labelPrefix: z.string().regex(/^[A-Za-z0-9_]{1,16}$/, english('field.label_prefix_format')).default('k2s'),
  strictMode: z.boolean().default(true),
  /** Run only on this node, or only on nodes of this cluster; empty: any fetcher node. */
  pinNode: z.string().max(128).default(''),
  pinCluster: z.string().max(128).default(''),
  /** Behind and no offset committed for this long: the instance shows as stalled, with the cause. */
  stallAfterMs: z.number().int().min(1_000).max(86_400_000).default(defaultStallAfterMs),
})

export type InstanceConfigInput = z.input<typeof instanceConfigSchema>
export type InstanceConfig = z.output<typeof instanceConfigSchema>

export const deleteModes = ['hard', 'soft', 'ignore'] as const
export const metadataKinds = ['sourceDatabase', 'sourceTable', 'eventType', 'binlogTime', 'binlogTimeMs', 'kafkaPartition', 'kafkaOffset'] as const
export type MetadataKind = (typeof metadataKinds)[number]

const pattern = z.string().min(1).refine((p) => {
  try {
    new RegExp(`^(?:${p})$`)
    return true
  } catch {
    return false
  }
}, english('field.regex_invalid'))

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, english('field.column_name_format'))

const templateToken = /\$\{([^}]*)\}/g

export const mappingRuleSchema = z
  .object({
    sourceDatabase: pattern,
    sourceTable: pattern,
    targetDatabase: z.string().min(1).default('${db}'),
    targetTable: z.string().min(1).default('${table}'),
    columnRenames: z.record(z.string(), columnName).default({}),
    excludeColumns: z.array(z.string()).default([]),
    metadataColumns: z.record(columnName, z.enum(metadataKinds)).default({}),
    deleteMode: z.enum(deleteModes).default('hard'),
    softDeleteColumn: columnName.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.deleteMode === 'soft' && !rule.softDeleteColumn) {
      ctx.addIssue({ code: 'custom', path: ['softDeleteColumn'], message: english('field.soft_delete_column_required') })
    }
    for (const field of ['targetDatabase', 'targetTable'] as const) {
      const problem = templateProblem(rule[field], rule.sourceDatabase, rule.sourceTable)
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem.message, params: { said: problem } })
    }
  })

export type MappingRule = z.output<typeof mappingRuleSchema>

export const mappingEnvSchema = z.object({
  /** The code instances refer to; `title` is what people call it. */
  name,
  title: z.string().max(100).optional(),
  description: z.string().max(500).default(''),
  rules: z.array(mappingRuleSchema),
})

export type MappingEnvInput = z.input<typeof mappingEnvSchema>
export type MappingEnv = z.output<typeof mappingEnvSchema>

/** `${db}`, `${table}`, `${1}`… (groups of the table pattern) and `${name}` (named groups of either). */
function templateProblem(template: string, dbPattern: string, tablePattern: string) {
  let tableGroups = 0
  const named = new Set<string>()
  try {
    tableGroups = groupCount(tablePattern)
    for (const p of [dbPattern, tablePattern]) for (const m of p.matchAll(/\(\?<([A-Za-z_]\w*)>/g)) named.add(m[1]!)
  } catch {
    return undefined // the pattern's own error is reported on its field
  }
  for (const [, token] of template.matchAll(templateToken)) {
    if (token === 'db' || token === 'table' || named.has(token!)) continue
    if (/^\d+$/.test(token!) && Number(token) >= 1 && Number(token) <= tableGroups) continue
    return say('field.template_placeholder', { token: token!, groups: tableGroups })
  }
  const rest = template.replace(templateToken, 'x')
  if (!/^[A-Za-z0-9_]+$/.test(rest)) return say('field.template_characters')
  return undefined
}

function groupCount(p: string): number {
  return new RegExp(`(?:${p})|`).exec('')!.length - 1
}
