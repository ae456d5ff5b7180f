import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { instanceConfigSchema, mappingEnvSchema } from '../../src/instances/config.ts'
import type { StoredInstance } from '../../src/instances/instance-store.ts'
import { loadBatch } from '../../workers/load-batch.ts'
import { closeLoadContext, createLoadContext } from '../../workers/load-context.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * One bad row quarantines one row (issue #15 part 3): StarRocks' error log names the rows it
 * refused; they go to the quarantine one by one, with their column and reason, and the rest load
 * under a label derived from the refused set, so a re-cut batch repeats the same loads.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('rowq'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw', deleteMode: 'hard' }]))
  await k2s.startNode()
})

after(() => stopDataPath({ emulator, k2s }))

async function run(name: string, values: string[]) {
  const topic = `rowq-${name}`
  await createTopic(kafka, topic, 1)
  const produced = await produce(kafka, topic, values.map((value) => ({ partition: 0, value })))
  await k2s.store.saveInstance(instanceFor(emulator, { name, kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'app' }))
  await k2s.store.startInstance(name)
  const end = (await endOffsets(kafka, topic)).get(0)
  await eventually('every offset committed', async () => (await committedOffsets(kafka, `k2s-${name}`, topic)).get(0) === end)
  return produced.map((p) => String(p.offset))
}

describe('one bad row quarantines one row', () => {
  test('5 rows, one "a" for a BIGINT column: 4 load, 1 is quarantined with its column, reason and offset', async () => {
    await emulator.execute('CREATE TABLE dw.five (id BIGINT NOT NULL, n BIGINT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    const offsets = await run('five', ['1', '2', 'a', '4', '5'].map((n, i) => canal('INSERT', 'app', 'five', [{ id: String(i + 1), n }])))

    assert.deepEqual(emulator.rows('dw', 'five'), [1, 2, 4, 5].map((id) => ({ id: String(id), n: String(id) })))
    const items = await k2s.activity.quarantined('five')
    assert.equal(items.length, 1)
    const [bad] = items
    assert.equal(bad!.rows, 1)
    assert.equal(bad!.column, 'n')
    assert.equal(bad!.reason, 'Unable to cast string value to BIGINT. value=a, column=n')
    assert.equal(bad!.firstOffset, offsets[2])
    assert.equal(bad!.lastOffset, offsets[2])
    assert.deepEqual(JSON.parse(bad!.payload), [{ id: '3', n: 'a', __op: 0 }])
    assert.equal(bad!.payloadKind, 'rows')
    assert.equal(bad!.code, 'quarantine.rowRefused')
    assert.deepEqual(bad!.params, { column: 'n', reason: 'Unable to cast string value to BIGINT. value=a, column=n' })

    const counters = await k2s.activity.counters('five')
    assert.equal(counters.loadedRows, 4)
    assert.equal(counters.quarantinedRows, 1)
    const loads = emulator.loads.filter((l) => l.table === 'five')
    assert.deepEqual(loads.map((l) => l.status), ['Fail', 'Success'])
    assert.notEqual(loads[0]!.label, loads[1]!.label)
    assert.notEqual(bad!.label, loads[1]!.label, 'the item replays under a label of its own')
  })

  test('ignored DELETEs are counted once, as ignoredDeletes, never inside quarantinedRows', async () => {
    await emulator.execute('CREATE TABLE dw.dels (id BIGINT NOT NULL, n BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    await run('dels', [
      canal('INSERT', 'app', 'dels', [{ id: '1', n: '1' }, { id: '2', n: 'x' }]),
      canal('DELETE', 'app', 'dels', [{ id: '7', n: '7' }, { id: '8', n: '8' }]),
    ])
    assert.deepEqual(emulator.rows('dw', 'dels'), [{ id: '1', n: '1' }])
    const counters = await k2s.activity.counters('dels')
    assert.equal(counters.ignoredDeletes, 2)
    assert.equal(counters.quarantinedRows, 1)
    assert.equal(counters.loadedRows, 1)
    const items = await k2s.activity.quarantined('dels')
    assert.deepEqual(items.map((i) => [i.rows, i.column]), [[1, 'n']])
  })

  test('more refused rows than StarRocks logs at once (50): every one is found, the rest load', async () => {
    await emulator.execute('CREATE TABLE dw.many (id BIGINT NOT NULL, v VARCHAR(4)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: String(i), v: i % 2 === 0 ? 'ok' : 'too long' }))
    await run('many', [canal('INSERT', 'app', 'many', rows)])
    assert.deepEqual(emulator.rows('dw', 'many').map((r) => Number(r.id)), rows.map((_, i) => i).filter((i) => i % 2 === 0))
    const items = await k2s.activity.quarantined('many')
    assert.equal(items.length, 60)
    assert.deepEqual(items.map((i) => (JSON.parse(i.payload) as { id: string }[])[0]!.id).sort((a, b) => Number(a) - Number(b)), rows.filter((_, i) => i % 2 === 1).map((r) => r.id))
    assert.ok(items.every((i) => i.column === 'v' && /capacity=4/.test(i.reason)))
    const counters = await k2s.activity.counters('many')
    assert.equal(counters.loadedRows, 60)
    assert.equal(counters.quarantinedRows, 60)
    // 50 named in the first error log, the other 10 in the second, then the 60 good rows.
    assert.deepEqual(emulator.loads.filter((l) => l.table === 'many').map((l) => l.status), ['Fail', 'Fail', 'Success'])
  })

  test('a batch cut again after a crash gives the same loads and the same quarantine, nothing twice', async () => {
    await emulator.execute('CREATE TABLE dw.again (id BIGINT NOT NULL, n BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    const messages = ['1', 'b', '3', 'c', '5'].map((n, i) => ({ offset: String(100 + i), value: Buffer.from(canal('INSERT', 'app', 'again', [{ id: String(i + 1), n }])) }))
    const job = { instance: 'again', epoch: 1, topic: 'rowq-again', partition: 0, firstOffset: '100', lastOffset: '104', messageCount: 5, messages }
    const config = instanceConfigSchema.parse(instanceFor(emulator, { name: 'again', kafkaBootstrap: kafka, topics: ['rowq-again'], mappingEnv: 'app' }))
    const stored = { config, epoch: 1 } as StoredInstance
    const env = mappingEnvSchema.parse(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
    const ctx = createLoadContext(stored, env, k2s.activity, 1)
    try {
      const first = await loadBatch(job, ctx)
      const itemsFirst = await k2s.activity.quarantined('again')
      // The crash: the offset was never committed, so the same range is cut and loaded again.
      const second = await loadBatch(job, ctx)
      const itemsSecond = await k2s.activity.quarantined('again')
      assert.deepEqual(first, { loadedRows: 3, quarantinedRows: 2, tables: 1 })
      assert.deepEqual(second, first)
      assert.deepEqual(itemsSecond.map((i) => [i.id, i.firstOffset, i.column]), itemsFirst.map((i) => [i.id, i.firstOffset, i.column]))
      assert.deepEqual(itemsFirst.map((i) => i.firstOffset), ['101', '103'])
      assert.deepEqual(emulator.rows('dw', 'again').map((r) => r.id), ['1', '3', '5'], 'loaded once into a Duplicate Key table')
      const loads = emulator.loads.filter((l) => l.table === 'again')
      assert.deepEqual(loads.map((l) => l.status), ['Fail', 'Success', 'Fail', 'Label Already Exists'])
      assert.equal(loads[1]!.label, loads[3]!.label)
    } finally {
      await closeLoadContext(ctx)
    }
  })
})
