import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { committedOffsets, createTopic, endOffsets, produce, type TestMessage } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * Four loader workers on two nodes, eight partitions, a fetcher on a third node, and a stream that
 * hammers the same keys: the final tables must equal a replay of the events, and the append-only
 * log must hold every event exactly once.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('concurrent'))
  await emulator.execute('CREATE TABLE dw.accounts (id BIGINT NOT NULL, balance BIGINT, version INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4')
  await emulator.execute('CREATE TABLE dw.ledger (id BIGINT NOT NULL, account BIGINT, delta BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4')
  await k2s.store.saveMappingEnv(mappingEnv('bank', [{ sourceDatabase: 'bank', sourceTable: '.*', targetDatabase: 'dw' }]))
})

after(() => stopDataPath({ emulator, k2s }))

/** Park–Miller: a fixed seed gives the same stream on every run. */
function random(seed: number) {
  let state = seed
  return (n: number) => {
    state = (state * 48271) % 2147483647
    return state % n
  }
}

test('four workers, eight partitions, many updates to the same keys: the result equals a replay', async () => {
  const topic = 'bank-binlog'
  const partitions = 8
  await createTopic(kafka, topic, partitions)
  const next = random(20261123)
  const accounts = new Map<number, { id: string; balance: string; version: string }>()
  const messages: TestMessage[] = []
  let ledgerId = 0
  for (let i = 0; i < 1200; i++) {
    const id = next(48)
    // canal's pk hash routing: one key, one partition, binlog order within it.
    const partition = id % partitions
    const current = accounts.get(id)
    const dice = next(10)
    if (!current) {
      const row = { id: String(id), balance: String(next(1000)), version: '1' }
      accounts.set(id, row)
      messages.push({ partition, value: canal('INSERT', 'bank', 'accounts', [row]) })
    } else if (dice < 8) {
      const row = { ...current, balance: String(Number(current.balance) + next(100) - 50), version: String(Number(current.version) + 1) }
      accounts.set(id, row)
      messages.push({ partition, value: canal('UPDATE', 'bank', 'accounts', [row], { old: [{ balance: current.balance, version: current.version }] }) })
    } else {
      accounts.delete(id)
      messages.push({ partition, value: canal('DELETE', 'bank', 'accounts', [current]) })
    }
    const entries = Array.from({ length: 1 + next(3) }, () => ({ id: String(++ledgerId), account: String(id), delta: String(next(100)) }))
    messages.push({ partition, value: canal('INSERT', 'bank', 'ledger', entries) })
  }
  await produce(kafka, topic, messages)

  await k2s.store.saveInstance(instanceFor(emulator, { name: 'bank', kafkaBootstrap: kafka, topics: [topic], mappingEnv: 'bank', commitBatch: 25, commitTimeout: 100 }))
  await k2s.store.startInstance('bank')
  await k2s.startNode({ fetcher: false, loader: true, loaderConcurrency: 2 })
  await k2s.startNode({ fetcher: false, loader: true, loaderConcurrency: 2 })
  await k2s.startNode({ fetcher: true, loader: false })

  const ends = await endOffsets(kafka, topic)
  await eventually(
    'every partition committed to its end',
    async () => {
      const committed = await committedOffsets(kafka, 'k2s-bank', topic)
      return [...ends].every(([p, end]) => committed.get(p) === end)
    },
    90_000,
  )

  const expected = [...accounts.values()].sort((a, b) => Number(a.id) - Number(b.id))
  assert.deepEqual(emulator.rows('dw', 'accounts'), expected)
  const ledger = emulator.rows('dw', 'ledger')
  assert.equal(ledger.length, ledgerId)
  assert.equal(new Set(ledger.map((r) => r.id)).size, ledgerId, 'no ledger entry loaded twice')
  const batches = emulator.loads.filter((l) => l.status === 'Success').length
  assert.ok(batches > partitions * 2, `only ${batches} loads: batches were not cut by commitBatch`)
})
