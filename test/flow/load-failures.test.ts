import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * StarRocks failing for a while must cost time, never rows: nothing is committed while loads
 * fail, and everything arrives exactly once when it recovers. Data StarRocks refuses for good is
 * quarantined with its reason, and the rest flows on.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('failures'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

async function scenario(name: string, fields: Record<string, unknown> = {}) {
  await emulator.execute(`CREATE TABLE dw.${name} (id BIGINT NOT NULL, v VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
  const topic = `app-${name}`
  await createTopic(kafka, topic, 1)
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app', ...fields }))
  const send = (...ids: number[]) =>
    produce(kafka, topic, ids.map((id) => ({ partition: 0, value: canal('INSERT', 'app', name, [{ id: String(id), v: `v${id}` }]) })))
  const ids = () => emulator.rows('dw', name).map((r) => Number(r.id))
  const committed = async () => (await committedOffsets(kafka, `k2s-${name}`, topic)).get(0) ?? null
  return { topic, send, ids, committed }
}

describe('StarRocks failing for a while', () => {
  test('down: nothing committed, the instance says why it retries, then every row arrives once', async () => {
    const s = await scenario('down')
    emulator.faults.inject({ kind: 'down' })
    await s.send(1, 2, 3)
    await k2s.store.startInstance('down')
    await eventually('the instance to report retrying', async () => (await k2s.activity.health('down')).state === 'retrying')
    const health = await k2s.activity.health('down')
    assert.match(health.reason, /ECONNREFUSED/)
    assert.equal(await s.committed(), null)
    // A few more retries while down: still nothing committed, nothing skipped.
    await eventually('several attempts', async () => (await k2s.activity.health('down')).attempts >= 3)
    assert.equal(await s.committed(), null)
    emulator.faults.clear()
    await eventually('rows 1-3', () => s.ids().length === 3)
    await eventually('offset 3 committed', async () => (await s.committed()) === 3n)
    assert.deepEqual(s.ids(), [1, 2, 3])
    assert.equal((await k2s.activity.health('down')).state, 'ok')
  })

  test('too many versions, memory limit, no backend: retried with the same label until they pass', async () => {
    const s = await scenario('busy')
    emulator.faults.inject({ kind: 'too-many-versions', table: 'busy', times: 2 })
    emulator.faults.inject({ kind: 'memory-limit', table: 'busy', times: 1 })
    emulator.faults.inject({ kind: 'no-backend', table: 'busy', times: 2 })
    await s.send(1, 2)
    await k2s.store.startInstance('busy')
    await eventually('offset 2 committed', async () => (await s.committed()) === 2n)
    assert.deepEqual(s.ids(), [1, 2])
    const attempts = emulator.loads.filter((l) => l.table === 'busy')
    assert.ok(attempts.filter((l) => l.status === 'Fail').length >= 3, JSON.stringify(attempts.map((l) => l.status)))
    assert.equal(new Set(attempts.map((l) => l.label)).size, 1, 'every attempt reused one label')
  })

  test('a reply slower than the load timeout after StarRocks committed: the retry is refused as a duplicate', async () => {
    const s = await scenario('slow', { loadTimeoutMs: 1_000 })
    emulator.faults.inject({ kind: 'slow', ms: 2_500, at: 'be', applied: true, table: 'slow', times: 1 })
    await s.send(1, 2)
    await k2s.store.startInstance('slow')
    await eventually('offset 2 committed', async () => (await s.committed()) === 2n)
    assert.deepEqual(s.ids(), [1, 2], 'loaded once into a Duplicate Key table')
    const statuses = emulator.loads.filter((l) => l.table === 'slow').map((l) => l.status)
    assert.ok(statuses.includes('Label Already Exists'), statuses.join())
  })

  test('a connection reset after StarRocks applied the load: no duplicate either', async () => {
    const s = await scenario('reset')
    emulator.faults.inject({ kind: 'reset', applied: true, table: 'reset', times: 1 })
    await s.send(1)
    await k2s.store.startInstance('reset')
    await eventually('offset 1 committed', async () => (await s.committed()) === 1n)
    assert.deepEqual(s.ids(), [1])
  })
})

describe('data StarRocks refuses for good', () => {
  test('filtered rows, unreadable messages and a missing table are quarantined; everything else loads', async () => {
    await emulator.execute(`CREATE TABLE dw.people (id BIGINT NOT NULL, name VARCHAR(8) NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    await emulator.execute(`CREATE TABLE dw.pets (id BIGINT NOT NULL, name VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`)
    const topic = 'app-mixed'
    await createTopic(kafka, topic, 1)
    const produced = await produce(kafka, topic, [
      { partition: 0, value: canal('INSERT', 'app', 'pets', [{ id: '1', name: 'rex' }]) },
      { partition: 0, value: canal('INSERT', 'app', 'people', [{ id: '1', name: null }]) },
      { partition: 0, value: '{"data": [' },
      { partition: 0, value: canal('INSERT', 'app', 'ghosts', [{ id: '1' }]) },
      { partition: 0, value: canal('INSERT', 'app', 'pets', [{ id: '2', name: 'tom' }]) },
    ])
    await k2s.store.saveInstance(instanceFor(emulator, { name: 'mixed', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app' }))
    await k2s.store.startInstance('mixed')
    const end = (await endOffsets(kafka, topic)).get(0)
    await eventually('every offset committed', async () => (await committedOffsets(kafka, 'k2s-mixed', topic)).get(0) === end)

    assert.deepEqual(emulator.rows('dw', 'pets'), [{ id: '1', name: 'rex' }, { id: '2', name: 'tom' }])
    assert.deepEqual(emulator.rows('dw', 'people'), [])
    const items = await k2s.activity.quarantined('mixed')
    const byTable = Object.fromEntries(items.map((i) => [i.table || 'message', i]))
    assert.deepEqual(Object.keys(byTable).sort(), ['dw.ghosts', 'dw.people', 'message'])

    assert.equal(byTable['dw.people']!.reason, "NULL value in non-nullable column 'name'")
    assert.equal(byTable['dw.people']!.column, 'name')
    assert.match(byTable['dw.people']!.details.join('\n'), /NULL value in non-nullable column 'name'/)
    assert.deepEqual(JSON.parse(byTable['dw.people']!.payload), [{ id: '1', name: null, __op: 0 }])
    assert.equal(byTable['dw.people']!.payloadKind, 'rows')
    assert.equal(byTable['dw.people']!.firstOffset, String(produced[1]!.offset))

    assert.match(byTable.message!.reason, /^invalid JSON/)
    assert.equal(byTable.message!.payload, '{"data": [')
    assert.equal(byTable.message!.payloadKind, 'raw')
    assert.equal(byTable.message!.firstOffset, String(produced[2]!.offset))

    assert.equal(byTable['dw.ghosts']!.reason, 'target table dw.ghosts does not exist')
    const kept = JSON.parse(byTable['dw.ghosts']!.payload) as { offset: string; value: string }[]
    assert.deepEqual(kept.map((m) => m.offset), [String(produced[3]!.offset)])
    assert.equal(JSON.parse(kept[0]!.value).table, 'ghosts')
    assert.equal(byTable['dw.ghosts']!.payloadKind, 'messages')

    const counters = await k2s.activity.counters('mixed')
    assert.equal(counters.loadedRows, 2)
    assert.equal(counters.quarantinedRows, 2)
    assert.equal(counters.quarantinedMessages, 1)
  })
})
