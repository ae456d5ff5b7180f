import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { instanceLeases } from '../../src/instances/instance-lease.ts'
import { nodeRegistry } from '../../src/nodes/node-registry.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import type { StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { createTopic } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, mappingEnv, startDataPath, stopDataPath, type K2sUnderTest } from '../harness/k2s-node.ts'

/**
 * An operator's start or stop reaches a node at once, not on its next reconcile tick: the node
 * here has a one-minute lease, so its timer ticks only every 20 s, and must still act within seconds.
 */
const leaseMs = 60_000
const promptMs = 5_000

let kafka: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest

before(async () => {
  ;({ kafka, emulator, k2s } = await startDataPath('wakeup'))
  await k2s.store.saveMappingEnv(mappingEnv('app', [{ sourceDatabase: 'app', sourceTable: '.*', targetDatabase: 'dw' }]))
})

after(() => stopDataPath({ emulator, k2s }))

test('a started instance is claimed within seconds, and a stopped one let go', async () => {
  const keys = redisKeys(k2s.prefix)
  const leases = instanceLeases(k2s.redis, keys, leaseMs)
  await createTopic(kafka, 'app-orders', 1)
  await k2s.store.saveInstance(instanceFor(emulator, { name: 'orders', kafkaBootstrap: kafka, topics: ['app-orders'], mappingEnv: 'app' }))
  const node = await k2s.startNode({ leaseMs })
  // What the console shows: who holds the instance, and the instances the node lists as running.
  const runs = async () => (await leases.owner('orders')) === node.name && (await nodeRegistry(k2s.redis, keys, leaseMs).list()).some((n) => n.name === node.name && n.instances.includes('orders'))
  const letGo = async () => (await leases.owner('orders')) === null && (await nodeRegistry(k2s.redis, keys, leaseMs).list()).some((n) => n.name === node.name && n.instances.length === 0)
  assert.equal(await runs(), false)

  await k2s.store.startInstance('orders')
  await eventually('the node to claim the started instance', runs, promptMs)

  await k2s.store.stopInstance('orders')
  await eventually('the node to let the stopped instance go', letGo, promptMs)
})
