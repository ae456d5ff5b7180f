import { z } from '@hono/zod-openapi'
import { instanceConfigSchema } from '../src/instances/config.ts'
import { schemaStatusSchema } from './schema-holds.ts'

/**
 * What the instance routes take and give. Secrets (passWord, kafkaSaslPassword, kafkaTlsKey) go
 * in, never out: only `passWordSet`, `kafkaSaslPasswordSet`, `kafkaTlsKeySet`.
 */
export const nameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) })

// Strict: a misspelt field (`password`) is a 400 naming it, not silently ignored while the old value stays.
export const instanceCreateSchema = instanceConfigSchema.strict()

export const instanceUpdateSchema = instanceConfigSchema
  .omit({ name: true, passWord: true, kafkaSaslPassword: true, kafkaTlsKey: true })
  .extend({
    name: z.string().optional(),
    passWord: z.string().optional().describe('leave out to keep the stored password'),
    kafkaSaslPassword: instanceConfigSchema.shape.kafkaSaslPassword.unwrap().optional().describe('leave out to keep the stored one, unless kafkaBootstrap or kafkaSaslUser changes'),
    kafkaTlsKey: instanceConfigSchema.shape.kafkaTlsKey.unwrap().optional().describe('leave out to keep the stored one, unless kafkaBootstrap changes'),
  })
  .strict()

const healthSchema = z.object({ state: z.enum(['ok', 'retrying']), reason: z.string(), since: z.string(), attempts: z.number() })
const countersSchema = z.record(z.string(), z.number())
const desiredSchema = z.enum(['running', 'stopped'])

export const instanceViewSchema = z.object({
  config: instanceConfigSchema.omit({ passWord: true, kafkaSaslPassword: true, kafkaTlsKey: true }),
  passWordSet: z.boolean(),
  kafkaSaslPasswordSet: z.boolean(),
  kafkaTlsKeySet: z.boolean(),
  desired: desiredSchema,
  epoch: z.number(),
  resetPending: z.boolean(),
  version: z.number(),
  /** When an operator last started it (ms since the epoch); 0 if never. */
  startedAt: z.number(),
  /** When the config or desired state last changed (ISO time); null if before K2S kept it. */
  updatedAt: z.string().nullable(),
})

export const instanceSummarySchema = z.object({
  name: z.string(),
  mappingEnv: z.string(),
  topics: z.array(z.string()),
  /** Set instead of topics: the regular expression whole topic names must match. */
  topicPattern: z.string(),
  desired: desiredSchema,
  /** The node whose fetcher holds the instance's lease, if any. */
  runningOn: z.string().nullable(),
  /**
   * What it really does: stopped, starting (no node yet), running, retrying, failed, or stalled
   * (behind with no offset committed for the instance's stallAfterMs), with why.
   */
  state: z.enum(['stopped', 'starting', 'running', 'retrying', 'failed', 'stalled']),
  reason: z.string(),
  /** The reason's message code and params (the console shows them in its language); null with no reason. */
  reasonCode: z.string().nullable(),
  reasonParams: z.record(z.string(), z.union([z.string(), z.number()])),
  lastLoadAt: z.string().nullable(),
  /** When the config or desired state last changed. */
  updatedAt: z.string().nullable(),
  health: healthSchema,
  counters: countersSchema,
  quarantined: z.number(),
  /** Rows loaded per second over the last minute, by every loader. */
  rowsPerSecond: z.number(),
  /**
   * Messages behind (end − committed, summed over partitions) and seconds behind (now − binlog time
   * of the oldest message not loaded, on the partition furthest behind). 0 when caught up; seconds
   * null while no fetcher runs it or has fetched that message yet, messages null when Kafka is unreachable.
   */
  lag: z.object({
    messages: z.number().nullable(),
    seconds: z.number().nullable(),
    /** True when Kafka, asked for an instance no fetcher reports on, did not answer in time: the figures are its last answer, or null. */
    stale: z.boolean(),
  }),
  /** Target tables held by their rule's schema change policy (details: GET …/schema). */
  schemaHeld: z.number(),
})

export const instanceStatusSchema = instanceSummarySchema.omit({ mappingEnv: true, topics: true, topicPattern: true }).extend({
  epoch: z.number(),
  skippedBySource: countersSchema,
  /** Schema evolution: held tables with why, drift per table (also GET …/schema). */
  schema: schemaStatusSchema.omit({ name: true }),
  /** While stalled: how long it has been behind with no offset committed (ms); else 0. */
  stalledForMs: z.number(),
})

export const lagSchema = z.object({
  name: z.string(),
  /** Kafka did not answer within the wait: these are its last answer, read at asOf. */
  stale: z.boolean(),
  asOf: z.string().nullable(),
  partitions: z.array(
    z.object({
      topic: z.string(),
      partition: z.number(),
      committed: z.string().nullable(),
      end: z.string(),
      lag: z.string(),
      /** now − binlog time of the partition's oldest message not loaded; 0 when caught up, null when unknown. */
      seconds: z.number().nullable(),
    }),
  ),
})

export const desiredReplySchema = z.object({ name: z.string(), desired: desiredSchema })
