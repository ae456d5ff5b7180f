import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { fetcherReports } from '../../src/instances/fetcher-report.ts'
import { nodeRegistry } from '../../src/nodes/node-registry.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Where an instance starts reading (the user's E-C, E-B, L-C, L-B) and how batches are cut
 * (commitBatch rows, commitTimeout ms). Duplicate Key targets make every load visible: a row read
 * twice shows twice.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('policies'))
  await k2s.store.saveMappingEnv(mappingEnv('events', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

async function table(name: string) {
  await emulator.execute(`CREATE TABLE dw.${name} (id BIGINT NOT NULL, v VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  const topic = `app-${name}`
  await createTopic(kafka, topic, 1)
  const send = (...ids: number[]) =>
    produce(kafka, topic, ids.map((id) => ({ partition: 0, value: canal('INSERT', 'app', name, [{ id: String(id), v: `v${id}` }]) })))
  const ids = () => emulator.rows('dw', name).map((r) => Number(r.id))
  return { topic, send, ids }
}

async function groupIsStable(instance: string) {
  const admin = new Kafka({ brokers: [kafka], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await eventually(`consumer group of ${instance} to be stable`, async () => {
      const { groups } = await admin.describeGroups([`k2s-${instance}`])
      return groups[0]?.state === 'Stable'
    })
  } finally {
    await admin.disconnect()
  }
  // kafkajs resolves "latest" on its first fetch after joining: wait until the fetcher of this
  // start reports that fetch (what `running` means), not for a guess of how long it takes.
  const reports = fetcherReports(k2s.redis, redisKeys(k2s.prefix))
  const startedAt = (await k2s.store.getInstance(instance))!.startedAt
  await eventually(`the fetcher of ${instance} to fetch`, async () => {
    const report = await reports.read(instance)
    return report?.phase === 'fetching' && report.since >= startedAt
  })
}

async function run(name: string, topic: string, fields: Record<string, unknown> = {}) {
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'events', ...fields }))
  await k2s.store.startInstance(name)
}

async function committed(name: string, topic: string) {
  return (await committedOffsets(kafka, `k2s-${name}`, topic)).get(0)
}

describe('consumer policies', () => {
  test('E-C starts at the earliest message when nothing was committed, and continues after a restart', async () => {
    const t = await table('ec')
    await t.send(1, 2)
    await run('ec', t.topic, { consumerPolicy: 'E-C' })
    await eventually('rows 1 and 2', () => t.ids().length === 2)
    await eventually('offset 2 committed', async () => (await committed('ec', t.topic)) === 2n)
    await k2s.store.stopInstance('ec')
    await t.send(3)
    await k2s.store.startInstance('ec')
    await eventually('row 3', () => t.ids().length === 3)
    assert.deepEqual(t.ids(), [1, 2, 3])
  })

  test('L-C skips what was there before the first start, then continues from its commits', async () => {
    const t = await table('lc')
    await t.send(1, 2)
    await run('lc', t.topic, { consumerPolicy: 'L-C' })
    await groupIsStable('lc')
    await t.send(3)
    await eventually('row 3', () => t.ids().length === 1)
    await eventually('offset 3 committed', async () => (await committed('lc', t.topic)) === 3n)
    await k2s.store.stopInstance('lc')
    await t.send(4)
    await k2s.store.startInstance('lc')
    await eventually('row 4', () => t.ids().length === 2)
    assert.deepEqual(t.ids(), [3, 4])
  })

  test('E-B reads everything again on an operator start, even what was loaded before', async () => {
    const t = await table('eb')
    await t.send(1, 2)
    await run('eb', t.topic, { consumerPolicy: 'E-B' })
    await eventually('rows 1 and 2', () => t.ids().length === 2)
    await eventually('offset 2 committed', async () => (await committed('eb', t.topic)) === 2n)
    await k2s.store.stopInstance('eb')
    await k2s.store.startInstance('eb')
    await eventually('rows 1 and 2 again', () => t.ids().length === 4)
    assert.deepEqual(t.ids().sort(), [1, 1, 2, 2])
  })

  test('L-B skips the backlog on an operator start, even what arrived while it was stopped', async () => {
    const t = await table('lb')
    await t.send(1)
    await run('lb', t.topic, { consumerPolicy: 'L-B' })
    await groupIsStable('lb')
    await t.send(2)
    await eventually('row 2', () => t.ids().length === 1)
    await k2s.store.stopInstance('lb')
    await eventually('offset 2 committed', async () => (await committed('lb', t.topic)) === 2n)
    await t.send(3)
    await k2s.store.startInstance('lb')
    await groupIsStable('lb')
    await t.send(4)
    await eventually('row 4', () => t.ids().length === 2)
    assert.deepEqual(t.ids(), [2, 4])
  })

  test('any other policy means E-C, as the user document says', async () => {
    const t = await table('odd')
    await t.send(1)
    await run('odd', t.topic, { consumerPolicy: 'X-Y' })
    assert.equal((await k2s.store.getInstance('odd'))?.config.consumerPolicy, 'E-C')
    await eventually('row 1', () => t.ids().length === 1)
  })
})

describe('batch cuts', () => {
  test('commitBatch cuts batches of at most that many rows, never splitting a message', async () => {
    const t = await table('by_rows')
    await t.send(1, 2, 3, 4, 5, 6, 7)
    await run('by_rows', t.topic, { commitBatch: 3, commitTimeout: 60_000 })
    await eventually('rows 1-6', () => t.ids().length === 6)
    await eventually('offset 6 committed', async () => (await committed('by_rows', t.topic)) === 6n)
    const loads = emulator.loads.filter((l) => l.table === 'by_rows' && l.status === 'Success')
    assert.deepEqual(loads.map((l) => l.totalRows), [3, 3])
    // The 7th row waits for either two more rows or a minute.
    await new Promise((resolve) => setTimeout(resolve, 700))
    assert.deepEqual(t.ids(), [1, 2, 3, 4, 5, 6])
    await k2s.store.stopInstance('by_rows')
  })

  test('commitTimeout cuts whatever arrived within that many ms of the first message', async () => {
    const t = await table('by_time')
    await run('by_time', t.topic, { commitBatch: 1000, commitTimeout: 300 })
    await groupIsStable('by_time')
    const sent = Date.now()
    await t.send(1, 2)
    await eventually('rows 1 and 2', () => t.ids().length === 2)
    const waited = Date.now() - sent
    assert.ok(waited >= 250, `loaded after ${waited} ms, before commitTimeout`)
    const loads = emulator.loads.filter((l) => l.table === 'by_time' && l.status === 'Success')
    assert.deepEqual(loads.map((l) => l.totalRows), [2])
  })
})

describe('where an instance runs', () => {
  test('pinned to a node or a cluster, it runs only there; with no eligible node it waits', async () => {
    const t = await table('pinned')
    await k2s.startNode({ name: 'pin-target', cluster: 'east' })
    await run('pinned', t.topic, { pinNode: 'pin-target' })
    await eventually('the pinned node holds the lease', async () => (await k2s.redis.get(`${k2s.prefix}:owner:pinned`)) === 'pin-target')
    await t.send(1)
    await eventually('row 1', () => t.ids().length === 1)
    // Pinned to a cluster no node is in: nobody may take it, and the operator sees why.
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'pinned', kafkaBootstrap: kafka, topics: [t.topic], mappingEnv: 'events', pinCluster: 'west' }))
    await eventually('the lease released', async () => (await k2s.redis.get(`${k2s.prefix}:owner:pinned`)) === null)
    await t.send(2)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    assert.deepEqual(t.ids(), [1])
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'pinned', kafkaBootstrap: kafka, topics: [t.topic], mappingEnv: 'events', pinCluster: 'east' }))
    await eventually('row 2 once a node of the cluster runs it', () => t.ids().length === 2)
    assert.equal(await k2s.redis.get(`${k2s.prefix}:owner:pinned`), 'pin-target')
  })

  test('a less loaded node that never takes an instance does not starve it: after one lease another node does', async () => {
    // Give the real nodes something to run, so the ghost below is the least loaded.
    const busy = await table('busy_first')
    await run('busy_first', busy.topic)
    await eventually('busy_first taken', async () => (await k2s.redis.get(`${k2s.prefix}:owner:busy_first`)) !== null)
    const t = await table('starved')
    const registry = nodeRegistry(k2s.redis, redisKeys(k2s.prefix), 1_500)
    // A node that looks idle and eligible but never claims anything (say, it cannot reach Kafka).
    await registry.register({ name: 'idle-ghost', address: '127.0.0.1', port: 0, cluster: '', roles: ['fetcher'], version: 'test', startedAt: Date.now() })
    const beat = setInterval(() => void registry.heartbeat('idle-ghost', []), 300)
    try {
      await t.send(1)
      await run('starved', t.topic)
      await eventually('row 1 loaded by a real node', () => t.ids().length === 1, 15_000)
      assert.notEqual(await k2s.redis.get(`${k2s.prefix}:owner:starved`), 'idle-ghost')
    } finally {
      clearInterval(beat)
      await registry.stopped('idle-ghost')
    }
  })
})
