import type { Queue } from 'bullmq'
import type { InstanceOverview, instanceOverviews } from '../src/instances/instance-overview.ts'
import { instanceStore } from '../src/instances/instance-store.ts'
import { schemaHolds } from '../src/instances/schema-holds.ts'
import type { ActualState } from '../src/instances/instance-state.ts'
import { exposition, type Metric, type Sample } from '../src/observe/prometheus-text.ts'
import type { AdminOptions } from './context.ts'
import { router } from './router.ts'

/**
 * GET /metrics for Prometheus: per instance its state (one-hot), lag per partition in messages and
 * seconds, rows loaded and quarantined, failed attempts and how long it has been stalled; per node
 * whether it is online and the age of its last heartbeat; the load queue's job counts. Who may
 * scrape it is auth.ts' business (the metrics token, a console login, or open when configured).
 */
const states: ActualState[] = ['stopped', 'starting', 'running', 'retrying', 'failed', 'stalled']
const queueStates = ['waiting', 'active', 'delayed', 'failed'] as const

export function metricsRoutes(opts: AdminOptions, overviews: ReturnType<typeof instanceOverviews>, queue: Queue) {
  const store = instanceStore(opts.redis, opts.keys, opts.secrets)
  const holds = schemaHolds(opts.redis, opts.keys)
  const app = router()

  app.get('/metrics', async (c) => {
    const moment = await overviews.moment()
    const views = (await Promise.all((await store.listInstances()).map((name) => store.viewInstance(name)))).flatMap((v) => (v ? [v] : []))
    const instances = await Promise.all(views.map(async (v) => ({ name: v.config.name, o: await overviews.overview(v, moment) })))
    const schema = await Promise.all(views.map(async (v) => ({ name: v.config.name, held: await holds.held(v.config.name), drift: await holds.drift(v.config.name) })))
    const counts = await queue.getJobCounts(...queueStates)

    const perInstance = (value: (o: InstanceOverview) => number): Sample[] => instances.map(({ name, o }) => ({ labels: { instance: name }, value: value(o) }))
    const perPartition = (value: (p: NonNullable<InstanceOverview['partitions']>[number]) => number | null): Sample[] =>
      instances.flatMap(({ name, o }) =>
        (o.partitions ?? []).flatMap((p) => {
          const v = value(p)
          return v === null ? [] : [{ labels: { instance: name, topic: p.topic, partition: String(p.partition) }, value: v }]
        }),
      )
    const metrics: Metric[] = [
      { name: 'k2s_instance_state', type: 'gauge', help: 'What the instance does: 1 for its current state, 0 for the others.', samples: instances.flatMap(({ name, o }) => states.map((state) => ({ labels: { instance: name, state }, value: o.state === state ? 1 : 0 }))) },
      { name: 'k2s_instance_lag_messages', type: 'gauge', help: 'Messages behind per partition: end offset minus committed offset.', samples: perPartition((p) => Number(p.lag)) },
      { name: 'k2s_instance_lag_seconds', type: 'gauge', help: 'Seconds behind per partition: now minus the binlog time of the oldest message not loaded (absent when unknown).', samples: perPartition((p) => p.seconds) },
      { name: 'k2s_instance_lag_stale', type: 'gauge', help: '1 when Kafka, asked for the lag of an instance no fetcher reports on, did not answer in time (the lag shown is older, or absent).', samples: perInstance((o) => (o.lag.stale ? 1 : 0)) },
      { name: 'k2s_instance_rows_per_second', type: 'gauge', help: 'Rows loaded per second over the last minute.', samples: perInstance((o) => o.rowsPerSecond) },
      { name: 'k2s_instance_rows_loaded_total', type: 'counter', help: 'Rows loaded into StarRocks.', samples: perInstance((o) => o.counters.loadedRows ?? 0) },
      { name: 'k2s_instance_rows_quarantined_total', type: 'counter', help: 'Rows put in quarantine.', samples: perInstance((o) => o.counters.quarantinedRows ?? 0) },
      { name: 'k2s_instance_deletes_ignored_total', type: 'counter', help: 'DELETEs not applied: delete mode ignore, or a table that cannot delete by key.', samples: perInstance((o) => o.counters.ignoredDeletes ?? 0) },
      { name: 'k2s_instance_zero_dates_total', type: 'counter', help: 'Zero dates (0000-00-00) loaded as NULL into DATE/DATETIME columns.', samples: perInstance((o) => o.counters.zeroDates ?? 0) },
      { name: 'k2s_instance_events_not_synced_total', type: 'counter', help: 'Rows of event types a mapping rule does not sync (needTypes), skipped.', samples: perInstance((o) => o.counters['skipped.needType'] ?? 0) },
      { name: 'k2s_instance_quarantine_items', type: 'gauge', help: 'Items waiting in the quarantine: refused rows of one load, or one unreadable message each.', samples: perInstance((o) => o.quarantined) },
      { name: 'k2s_instance_failed_attempts_total', type: 'counter', help: 'Failed load attempts (and fetcher starts); each is retried.', samples: perInstance((o) => o.counters.failedAttempts ?? 0) },
      { name: 'k2s_instance_retry_attempts', type: 'gauge', help: 'Failed attempts in a row of the failure going on now (0 when healthy).', samples: perInstance((o) => o.health.attempts) },
      { name: 'k2s_instance_stalled_seconds', type: 'gauge', help: 'While stalled: seconds behind with no offset committed; else 0.', samples: perInstance((o) => o.stalledForMs / 1000) },
      { name: 'k2s_instance_schema_drift_rows_total', type: 'counter', help: 'Rows loaded without columns their target table lacks (schema change policy ignore), per target table.', samples: schema.flatMap(({ name, drift }) => Object.entries(drift).map(([table, d]) => ({ labels: { instance: name, table }, value: d.rows }))) },
      { name: 'k2s_instance_tables_held', type: 'gauge', help: 'Target tables held by their schema change policy until an operator resumes them.', samples: schema.map(({ name, held }) => ({ labels: { instance: name }, value: held.length })) },
      { name: 'k2s_node_online', type: 'gauge', help: 'Whether the node heartbeats within its lease.', samples: moment.nodes.map((n) => ({ labels: { node: n.name }, value: n.online ? 1 : 0 })) },
      { name: 'k2s_node_heartbeat_age_seconds', type: 'gauge', help: 'Seconds since the node last heartbeat.', samples: moment.nodes.map((n) => ({ labels: { node: n.name }, value: Math.max(0, moment.now - n.lastHeartbeat) / 1000 })) },
      { name: 'k2s_queue_jobs', type: 'gauge', help: 'Load jobs in the queue by state (delayed: waiting out a retry backoff).', samples: queueStates.map((state) => ({ labels: { state }, value: counts[state] ?? 0 })) },
    ]
    return c.body(exposition(metrics), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  })

  return app
}
