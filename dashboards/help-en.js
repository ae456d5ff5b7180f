/**
 * The help panel of each page, in English (help-zh.js has the same pages and sections; a test
 * checks). A section: a title, paragraphs, and an optional example shown as code.
 * @typedef {{ title: string, text: string[], example?: string }} HelpSection
 */
/** @type {Record<string, HelpSection[]>} */
export const helpEn = {
  instances: [
    { title: 'What an instance is', text: ['An instance reads canal JSON from its Kafka topics with one consumer group (k2s-<name>), maps the tables with its mapping environment and loads the rows into StarRocks with Stream Load. An offset is committed only after its rows are loaded or quarantined.'] },
    { title: 'The fields', text: [
      'Kafka bootstrap: host:port list. Topics: the canal topics to read. JDBC URL, FE host and FE HTTP port: StarRocks (MySQL port 9030 for table columns, HTTP port 8030 for Stream Load). User and password: a StarRocks user with LOAD and SELECT; the password is never shown again.',
      'Commit batch: at most this many rows per batch. Commit timeout: a batch waits at most this long (ms) before it is loaded. Stall after: behind with no commit for this long shows the instance as stalled.',
    ] },
    { title: 'Consumer policies', text: ['E-C (usual): continue from the committed offsets, the earliest message the first time. L-C: the same, but the latest message the first time. E-B: every start re-reads every partition from the earliest message. L-B: every start jumps to the latest message. A node that fails over always continues from the committed offsets.'] },
    { title: 'States', text: ['starting: waiting for a fetcher node. running: reading and loading. retrying: a load failed and is retried with backoff (nothing is skipped); the reason says why. stalled: behind with no commit for the instance\'s stall time. failed: no node could start its fetcher. stopped: by an operator.'] },
  ],
  instance: [
    { title: 'The charts', text: ['Per minute, over the range chosen: rows loaded per second, the lag in messages (end offset minus committed offset) and in seconds (age of the oldest message not loaded yet), and rows put in quarantine. A gap in a lag line means no fetcher reported in that minute. "Per partition" draws one line per topic partition.'] },
    { title: 'Reading them', text: ['Rows/s steady and lag flat near 0: healthy. Lag rising while rows/s stays at 0: nothing loads; the state reason says why. Quarantined rows rising: StarRocks refuses some rows; open the quarantine, fix the cause (a column too short, a missing table) and replay.'] },
  ],
  mapping: [
    { title: 'Environments and rules', text: ['An environment is an ordered list of rules; instances name the environment they use. For each canal message the rules are tried from the top: the first rule whose database pattern and table pattern both match the whole source name wins. A message no rule matches is counted and skipped.'] },
    { title: 'A rule', text: [
      'Source database / table: regular expressions over the whole name. Target database / table: templates with ${db}, ${table}, ${1}… (groups of the table pattern) or named groups.',
      'Column renames (source → target), excluded columns, metadata columns (source database, table, event type, binlog time, Kafka partition and offset). Delete mode: hard (a Primary Key table deletes the row), soft (sets a column to 1), ignore (counted, skipped).',
    ], example: 'sourceDatabase: shop    sourceTable: orders_(\\d+)\ntargetDatabase: dw      targetTable: orders\nshop.orders_7 → dw.orders (shards merged); shop.customers: no match' },
    { title: 'Preview', text: ['Paste a canal message and run the preview: it shows which rule matches, the target table and the exact rows a load would send (with __op: 0 upsert, 1 delete). Pick an instance to check the rows against the real target table\'s columns.'] },
  ],
  quarantine: [
    { title: 'What quarantine is', text: ['What could not be loaded goes here instead of blocking the rest: messages that are not readable canal JSON, messages whose target table does not exist, and rows StarRocks refused (strict mode: a value that does not fit is refused, not turned into NULL). Each item keeps the reason, StarRocks\' error lines, the Kafka offsets and the payload; its offsets are committed, the rest flows on.'] },
    { title: 'What to do', text: ['Fix the cause (create the table, widen the column), then Replay: the item loads again under a new label. Discard removes it, and the counters keep that it was discarded.'], example: 'reason: column "note" too long: value "…" (VARCHAR(8))\n→ ALTER TABLE dw.orders MODIFY COLUMN note VARCHAR(64); then Replay' },
  ],
  nodes: [
    { title: 'Consumer nodes', text: ['A node is a K2S process that runs fetchers (read Kafka, cut batches), loaders (Stream Load) or both. Each heartbeats to Redis; a node silent past its lease turns offline and its instances move to another live node, which continues from the committed offsets. An offline node can be removed.'] },
    { title: 'Clusters and pins', text: ['A node belongs to a cluster (K2S_CLUSTER). An instance may be pinned to one node (pinNode) or one cluster (pinCluster); otherwise any fetcher node may run it. Details lists what a node runs and starts or stops it.'] },
  ],
}
