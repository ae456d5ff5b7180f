/**
 * Every Redis key K2S writes, in one place, under one prefix, so a test run or a second K2S
 * deployment can share a Redis without touching each other's state.
 */
export type RedisKeys = ReturnType<typeof redisKeys>

export function redisKeys(prefix: string) {
  return {
    prefix,
    /** BullMQ's own prefix: its keys sit beside ours. */
    bullPrefix: `${prefix}:bull`,
    instance: (name: string) => `${prefix}:instance:${name}`,
    instances: `${prefix}:instances`,
    /** Pub/sub channel: an instance's name, published after the store changed what a node must run. */
    instanceChanges: `${prefix}:instance-changes`,
    mappingEnv: (name: string) => `${prefix}:mapping-env:${name}`,
    mappingEnvs: `${prefix}:mapping-envs`,
    /** A queued batch's raw Kafka values (src/jobs/job-payload.ts), by BullMQ job id. */
    jobPayload: (jobId: string) => `${prefix}:payload:${jobId}`,
    /** The fetcher generation allowed to record batch ranges of an instance (src/jobs/batch-ranges.ts). */
    rangeFence: (instance: string) => `${prefix}:fence:${instance}`,
    /** A list: the recorded ranges of a partition's batches not committed yet, in offset order. */
    batchRanges: (instance: string, topic: string, partition: number) => `${prefix}:ranges:${instance}:${topic}:${partition}`,
    /** `<epoch>:<offset>`: every batch of the partition up to this last offset is in StarRocks (src/jobs/batch-order.ts). */
    loadedThrough: (instance: string, topic: string, partition: number) => `${prefix}:loaded:${instance}:${topic}:${partition}`,
    /** Pub/sub channel: `<instance>/<topic>/<partition>`, published when its loaded-through mark moved. */
    batchLoadedChannel: `${prefix}:batch-loaded`,
    /** Before batches were pipelined: one range per partition, a plain string. Read and cleared, never written. */
    legacyBatchRange: (instance: string, topic: string, partition: number) => `${prefix}:range:${instance}:${topic}:${partition}`,
    resetPlan: (instance: string, epoch: number) => `${prefix}:reset:${instance}:${epoch}`,
    /** Topics a topicPattern matched after the instance was running: read from their earliest offset. */
    discoveredTopics: (instance: string) => `${prefix}:discovered-topics:${instance}`,
    owner: (instance: string) => `${prefix}:owner:${instance}`,
    node: (name: string) => `${prefix}:node:${name}`,
    nodes: `${prefix}:nodes`,
    quarantine: (instance: string) => `${prefix}:quarantine:${instance}`,
    counters: (instance: string) => `${prefix}:counters:${instance}`,
    skippedBySource: (instance: string) => `${prefix}:skipped:${instance}`,
    health: (instance: string) => `${prefix}:health:${instance}`,
    /** What the fetcher holding the instance last reported: connecting, fetching or retrying, and why (src/instances/fetcher-report.ts). */
    fetcherReport: (instance: string) => `${prefix}:fetcher:${instance}`,
    /** Schema evolution (src/instances/schema-holds.ts): tables held by their rule's policy, by target `db.table`. */
    schemaPaused: (instance: string) => `${prefix}:schema-paused:${instance}`,
    /** DDL messages carried out or resumed past, so a retried batch never runs one twice (a TRUNCATE!). */
    schemaDdlDone: (instance: string) => `${prefix}:schema-ddl-done:${instance}`,
    /** Rows that carried columns their target lacks, and those columns, by target `db.table`. */
    schemaDrift: (instance: string) => `${prefix}:schema-drift:${instance}`,
    schemaDriftColumns: (instance: string) => `${prefix}:schema-drift-columns:${instance}`,
    /** Per partition: committed and end offsets and the oldest unloaded message's binlog time, from the fetcher. */
    lag: (instance: string) => `${prefix}:lag:${instance}`,
    /** Rows loaded in one time bucket, for rows per second across every loader. */
    loadRate: (instance: string, bucket: number) => `${prefix}:rate:${instance}:${bucket}`,
    /** One minute of an instance's rows, quarantined rows and lag, for the console's charts (expires after a day). */
    minuteSeries: (instance: string, minute: number) => `${prefix}:minute:${instance}:${minute}`,
    /** Replays of a quarantined item that loaded, per item id: the next replay label is `-r<n+1>`. */
    quarantineReplays: (instance: string) => `${prefix}:replays:${instance}`,
    replayLock: (instance: string, id: string) => `${prefix}:replay-lock:${instance}:${id}`,
    /** Console users: user name → scrypt hash; sessions by the SHA-256 of their token, never the token. */
    consoleUsers: `${prefix}:console-users`,
    session: (tokenHash: string) => `${prefix}:session:${tokenHash}`,
    /** Each user's sessions (token hashes), so a password change or a removal ends them all. */
    userSessions: (user: string) => `${prefix}:user-sessions:${user}`,
    /** Console users' roles: user name → admin | operator | viewer (no entry: admin, as before roles). */
    consoleRoles: `${prefix}:console-roles`,
    /** Failed console logins in the current window, by what they are counted against (login-limit.ts). */
    loginFailures: (scope: string) => `${prefix}:login-failures:${scope}`,
    /** Node keys: node name → SHA-256 of the key the admin gave it at registration. */
    nodeKeys: `${prefix}:node-keys`,
    /** Recent log lines (pino JSON, newest first, capped): all of a node's, and those naming an instance. */
    nodeLog: (node: string) => `${prefix}:log:node:${node}`,
    instanceLog: (instance: string) => `${prefix}:log:instance:${instance}`,
  }
}
