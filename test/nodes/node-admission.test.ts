import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { nodeRegistry } from '../../src/nodes/node-registry.ts'
import { redisPresence, type NodePresence, type PresenceAnswer } from '../../src/nodes/node-presence.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * What a node runs follows what the admin answers it: nothing before it is accepted, everything
 * once it is, and nothing again once it is refused (the token changed): its instance goes to a
 * node that is registered. Real Kafka, Redis, emulator.
 */
let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('admission'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
})

after(() => stopDataPath({ emulator, k2s }))

/** The registry's presence, with the admin's answer in the test's hand. */
function controlled(): NodePresence & { answer: PresenceAnswer } {
  const registry = redisPresence(nodeRegistry(k2s.redis, redisKeys(k2s.prefix), 1_500))
  const presence = {
    answer: 'refused' as PresenceAnswer,
    async register(info: Parameters<NodePresence['register']>[0]) {
      if (presence.answer === 'accepted') await registry.register(info)
      return presence.answer
    },
    async heartbeat(name: string, instances: string[]) {
      if (presence.answer === 'accepted') await registry.heartbeat(name, instances)
      return presence.answer
    },
    stopped: registry.stopped,
  }
  return presence
}

test('refused: runs nothing; accepted: runs; refused again: stops, and a registered node takes over', async () => {
  await emulator.execute('CREATE TABLE dw.gate (id BIGINT NOT NULL, v VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await createTopic(kafka, 'app-gate', 1)
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'gate', kafkaBootstrap: kafka, topics: ['app-gate'], mappingEnv: 'app' }))
  await k2s.store.startInstance('gate')
  const presence = controlled()
  const node = await k2s.startNode({ name: 'gated', presence })
  await produce(kafka, 'app-gate', [{ value: canal('INSERT', 'app', 'gate', [{ id: '1', v: 'a' }]) }])
  for (let i = 0; i < 10; i++) {
    assert.equal(await k2s.redis.get(redisKeys(k2s.prefix).owner('gate')), null, 'a refused node claims nothing')
    assert.equal(node.registered(), false)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  assert.deepEqual(emulator.rows('dw', 'gate'), [])

  presence.answer = 'accepted'
  await eventually('row 1 loaded by the accepted node', () => emulator.rows('dw', 'gate').length === 1, 30_000)
  assert.deepEqual(node.instances(), ['gate'])

  presence.answer = 'refused'
  await eventually('the refused node stops its fetcher', () => node.instances().length === 0 && !node.registered(), 10_000)
  await k2s.startNode({ name: 'registered' })
  await eventually('the registered node runs it', async () => (await k2s.redis.get(redisKeys(k2s.prefix).owner('gate'))) === 'registered', 20_000)
  await produce(kafka, 'app-gate', [{ value: canal('INSERT', 'app', 'gate', [{ id: '2', v: 'b' }]) }])
  await eventually('row 2 loaded', () => emulator.rows('dw', 'gate').length === 2, 30_000)
  assert.deepEqual(node.instances(), [])
})
