import { createPrivateKey, X509Certificate } from 'node:crypto'
import { z } from 'zod'
import { kafkaSaslMechanisms, kafkaSecurityProtocols, usesSasl, usesTls } from '../fetcher/kafka-client.ts'
import { topicPatternProblem } from '../fetcher/topic-pattern.ts'
import { compileNamePattern, namePatternProblem } from '../rows/name-pattern.ts'
import { changeFormats } from '../formats/change-format.ts'
import { english, say, type MessageCode, type MessageParams, type Said } from '../messages.ts'
import { JdbcUrlError, parseJdbcUrl } from '../starrocks/jdbc-url.ts'

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

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}, english('field.time_zone'))

export const instanceConfigSchema = z.object({
  name,
  kafkaBootstrap: z
    .string()
    .transform((s) => s.split(',').map((h) => h.trim()).filter((h) => h !== ''))
    .refine((hosts) => hosts.length > 0 && hosts.every(isHostPort), english('field.bootstrap_format'))
    .transform((hosts) => hosts.join(',')),
  /** A list of topics, or (instead) `topicPattern`; instanceConfigProblems requires exactly one. */
  topics: z.array(topic).refine((t) => new Set(t).size === t.length, english('field.topics_repeat')).default([]),
  /** A regular expression (RE2 syntax, matched in linear time) the whole topic name must match. */
  topicPattern: z.string().max(1_000).superRefine((p, ctx) => {
      const problem = topicPatternProblem(p)
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { said: problem } })
    }).default(''),
  /** Kafka's `security.protocol`: TLS, SASL, both or neither. */
  kafkaSecurityProtocol: z.enum(kafkaSecurityProtocols).default('PLAINTEXT'),
  kafkaSaslMechanism: z.enum(kafkaSaslMechanisms).default('PLAIN'),
  kafkaSaslUser: z.string().max(256).default(''),
  /** Sealed at rest like passWord, never returned; sent only to the brokers it was saved with. */
  kafkaSaslPassword: z.string().max(1_024).default(''),
  /** PEM certificates of the CAs to trust; empty: the system's CAs. */
  kafkaTlsCa: z.string().max(65_536).refine((pem) => pem === '' || pemCertificate(pem), english('field.pem_certificate')).default(''),
  /** PEM client certificate, for brokers that require one (mTLS). */
  kafkaTlsCert: z.string().max(65_536).refine((pem) => pem === '' || pemCertificate(pem), english('field.pem_certificate')).default(''),
  /** The client certificate's unencrypted PEM private key; sealed at rest, never returned. */
  kafkaTlsKey: z.string().max(65_536).refine((pem) => pem === '' || pemPrivateKey(pem), english('field.pem_private_key')).default(''),
  kafkaTlsVerifyHostname: z.boolean().default(true),
  mappingEnv: name,
  jdbcUrl: z.string().superRefine((url, ctx) => {
    try {
      parseJdbcUrl(url)
    } catch (err) {
      const known = err instanceof JdbcUrlError
      ctx.addIssue({ code: 'custom', message: (err as Error).message, params: known ? { said: err.said } : undefined })
    }
  }),
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
  /** The change-data format of the topics: canal flat messages, Debezium or Maxwell JSON. */
  format: z.enum(changeFormats).default('canal'),
  /** The wall clock TIMESTAMP columns are written in, where the format sends an instant (Debezium). */
  timeZone: timeZone.default('UTC'),
})

export type InstanceConfigInput = z.input<typeof instanceConfigSchema>
export type InstanceConfig = z.output<typeof instanceConfigSchema>

/** One field's problem, as the API's 400 names it. */
export type FieldProblem = { path: string } & Said

/** The fields that are secrets: sealed at rest, never returned, never logged. */
export type InstanceSecretField = 'passWord' | 'kafkaSaslPassword' | 'kafkaTlsKey'

/**
 * The rules that span fields (the object schema stays plain, so the API can pick and omit from it).
 * An empty list: the config is whole.
 */
export function instanceConfigProblems(c: InstanceConfig): FieldProblem[] {
  const problems: FieldProblem[] = []
  const problem = (path: string, code: MessageCode, params: MessageParams = {}) => problems.push({ path, ...say(code, params) })
  if (c.topics.length === 0 && c.topicPattern === '') problem('topics', 'field.topics_required')
  if (c.topics.length > 0 && c.topicPattern !== '') problem('topicPattern', 'field.topics_or_pattern')
  if (usesSasl(c)) {
    if (c.kafkaSaslUser === '') problem('kafkaSaslUser', 'field.required_with', { with: c.kafkaSecurityProtocol })
    if (c.kafkaSaslPassword === '') problem('kafkaSaslPassword', 'field.required_with', { with: c.kafkaSecurityProtocol })
  } else {
    for (const field of ['kafkaSaslUser', 'kafkaSaslPassword'] as const) {
      if (c[field] !== '') problem(field, 'field.only_with_sasl')
    }
  }
  if (usesTls(c)) {
    if ((c.kafkaTlsCert === '') !== (c.kafkaTlsKey === '')) problem(c.kafkaTlsCert === '' ? 'kafkaTlsCert' : 'kafkaTlsKey', 'field.tls_cert_and_key')
    else if (c.kafkaTlsCert !== '' && pemCertificate(c.kafkaTlsCert) && pemPrivateKey(c.kafkaTlsKey) && !keyMatches(c.kafkaTlsCert, c.kafkaTlsKey)) {
      problem('kafkaTlsKey', 'field.tls_key_mismatch')
    }
  } else {
    for (const field of ['kafkaTlsCa', 'kafkaTlsCert', 'kafkaTlsKey'] as const) {
      if (c[field] !== '') problem(field, 'field.only_with_tls')
    }
  }
  return problems
}

/**
 * Fields a config may not have together, each named (the API's 400). Its own class: zod 4's
 * ZodError is not an Error, so Hono would not hand it to the API's error handler.
 */
export class ConfigIssuesError extends Error {
  constructor(readonly issues: FieldProblem[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '))
  }
}

/** Parses an instance config and applies instanceConfigProblems (a ConfigIssuesError). */
export function parseInstanceConfig(input: unknown): InstanceConfig {
  const config = instanceConfigSchema.parse(input)
  const problems = instanceConfigProblems(config)
  if (problems.length > 0) throw new ConfigIssuesError(problems)
  return config
}

function pemCertificate(pem: string): boolean {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return false
  try {
    new X509Certificate(pem)
    return true
  } catch {
    return false
  }
}

function pemPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).type === 'private'
  } catch {
    return false
  }
}

function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))
  } catch {
    return false
  }
}

export const deleteModes = ['hard', 'soft', 'ignore'] as const
/**
 * What a source schema change does to the rule's target (README "Schema changes"): `ignore` loads
 * the columns the target has and counts the rest as drift; `apply` carries canal's DDL to
 * StarRocks; `pause` holds the table until an operator resumes it.
 */
export const schemaChangePolicies = ['ignore', 'apply', 'pause'] as const
export type SchemaChangePolicy = (typeof schemaChangePolicies)[number]
/** The seed's `needType`: which event types a rule syncs; the others are counted and skipped. */
export const eventTypes = ['insert', 'update', 'delete'] as const
export type EventType = (typeof eventTypes)[number]
export const metadataKinds = ['sourceDatabase', 'sourceTable', 'eventType', 'binlogTime', 'binlogTimeMs', 'kafkaPartition', 'kafkaOffset'] as const
export type MetadataKind = (typeof metadataKinds)[number]

// Matched in linear time (name-pattern.ts); what cannot be is refused here, saying why.
const pattern = z.string().superRefine((p, ctx) => {
  const problem = namePatternProblem(p)
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { said: problem } })
})

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
    /** The seed's `S_FUNC.<literal>`: a target column that gets the same text in every row. */
    constantColumns: z.record(columnName, z.string().max(1024)).default({}),
    needTypes: z
      .array(z.enum(eventTypes))
      .min(1, english('field.need_types_required'))
      .refine((t) => new Set(t).size === t.length, english('field.need_types_repeat'))
      .default(['insert', 'update', 'delete']),
    deleteMode: z.enum(deleteModes).default('hard'),
    softDeleteColumn: columnName.optional(),
    /** Absent is `ignore`, as for a rule saved before schema evolution existed (schemaPolicy()). */
    schemaChange: z.enum(schemaChangePolicies).optional(),
    /** With `apply`: a source CREATE TABLE creates the target when it does not exist. */
    autoCreate: z.boolean().optional(),
  })
  .superRefine((rule, ctx) => {
    for (const column of Object.keys(rule.constantColumns)) {
      const lower = column.toLowerCase()
      const clash = Object.keys(rule.metadataColumns).some((m) => m.toLowerCase() === lower) || rule.softDeleteColumn?.toLowerCase() === lower
      if (clash) ctx.addIssue({ code: 'custom', path: ['constantColumns', column], message: english('field.constant_column_clash') })
    }
    if (rule.autoCreate && schemaPolicy(rule) !== 'apply') {
      ctx.addIssue({ code: 'custom', path: ['autoCreate'], message: 'needs schemaChange "apply"' })
    }
    if (rule.deleteMode === 'soft' && !rule.softDeleteColumn) {
      ctx.addIssue({ code: 'custom', path: ['softDeleteColumn'], message: english('field.soft_delete_column_required') })
    }
    for (const field of ['targetDatabase', 'targetTable'] as const) {
      const problem = templateProblem(rule[field], rule.sourceDatabase, rule.sourceTable)
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem.message, params: { said: problem } })
    }
  })

export type MappingRule = z.output<typeof mappingRuleSchema>
export type MappingRuleInput = z.input<typeof mappingRuleSchema>

export function schemaPolicy(rule: Pick<MappingRule, 'schemaChange'>): SchemaChangePolicy {
  return rule.schemaChange ?? 'ignore'
}

export const mappingEnvSchema = z.object({
  /** The code instances refer to; `title` is what people call it. */
  name,
  title: z.string().max(100).optional(),
  description: z.string().max(500).default(''),
  // Each rule's patterns are compiled once to check them: the count bounds what one request costs.
  rules: z.array(mappingRuleSchema).max(1000),
})

export type MappingEnvInput = z.input<typeof mappingEnvSchema>
export type MappingEnv = z.output<typeof mappingEnvSchema>

/** `${db}`, `${table}`, `${1}`… (groups of the table pattern) and `${name}` (named groups of either). */
function templateProblem(template: string, dbPattern: string, tablePattern: string) {
  let tableGroups = 0
  const named = new Set<string>()
  try {
    const table = compileNamePattern(tablePattern)
    tableGroups = table.groupCount
    for (const g of [...compileNamePattern(dbPattern).groupNames, ...table.groupNames]) named.add(g)
  } catch {
    return undefined // the pattern's own error is reported on its field
  }
  for (const [, token] of template.matchAll(templateToken)) {
    if (token === 'db' || token === 'table' || named.has(token!)) continue
    if (/^\d+$/.test(token!) && Number(token) >= 1 && Number(token) <= tableGroups) continue
    const placeholder = `\${${token}}`
    // Say only what this rule offers: `${1}..${0}` is no range a reader can use.
    const groups = tableGroups === 0 ? '' : tableGroups === 1 ? '${1}' : `\${1}…\${${tableGroups}}`
    const names = [...named].map((n) => `\${${n}}`).join(', ')
    const usable = ['${db}', '${table}', groups, names].filter((u) => u !== '').join(', ')
    return say(tableGroups === 0 ? 'field.template_placeholder_no_groups' : 'field.template_placeholder', { placeholder, usable })
  }
  const rest = template.replace(templateToken, 'x')
  if (!/^[A-Za-z0-9_]+$/.test(rest)) return say('field.template_characters')
  return undefined
}
