import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { QuarantineItem } from '../../src/instances/instance-activity.ts'
import { loadLabel } from '../../src/starrocks/load-label.ts'
import { replayLabel } from '../../api/quarantine-replay.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'
import { adminFixture, instanceBody, mappingBody, type AdminFixture } from './api-fixtures.ts'

/** Quarantine over the API: list without payloads, read, discard, replay into the StarRocks emulator. */
let api: AdminFixture
let token: string
let emulator: StarRocksEmulator

const label = loadLabel({ prefix: 'k2s', instance: 'shop', epoch: 0, topic: 'shop', partition: 0, firstOffset: '10', lastOffset: '12', database: 'dw', table: 'orders' })
// What load-batch keeps when the target table is missing: the batch's label and its source messages.
const missingLabel = loadLabel({ prefix: 'k2s', instance: 'shop', epoch: 0, topic: 'shop', partition: 0, firstOffset: '20', lastOffset: '21', database: 'dw', table: 'gone' })
const goneMessages = ['20', '21'].map((offset) => ({
  offset,
  value: JSON.stringify({ data: [{ id: offset }], database: 'shop', es: 1_700_000_000_000, id: 1, isDdl: false, mysqlType: { id: 'int' }, old: null, pkNames: ['id'], sql: '', sqlType: { id: 4 }, table: 'gone', ts: 1, type: 'INSERT' }),
}))

function item(overrides: Partial<QuarantineItem>): QuarantineItem {
  return {
    id: 'x',
    instance: 'shop',
    topic: 'shop',
    partition: 0,
    firstOffset: '10',
    lastOffset: '12',
    reason: 'too many filtered rows',
    table: 'dw.orders',
    rows: 1,
    details: ['Error: value too long. Row: {"id":"1"}'],
    payload: '[{"id":"1","__op":0}]',
    payloadKind: 'rows',
    at: '2024-01-01T00:00:00.000Z',
    ...overrides,
  }
}

before(async () => {
  api = await adminFixture('api-quarantine')
  token = await api.login()
  emulator = await startStarRocksEmulator({ users: { root: 'sr-Pa55word-never-shown' } })
  await emulator.execute('CREATE DATABASE dw')
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, note VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop') })).status, 201)
  const created = await api.call('POST', '/api/instances', { token, body: instanceBody('shop', { feHttpPort: emulator.feHttpPort, jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`, loadTimeoutMs: 5000 }) })
  assert.equal(created.status, 201, created.text)
  await api.activity.quarantine([
    item({ id: label, label }),
    item({ id: 'message-shop-0-7', table: '', rows: 0, reason: 'not JSON', payload: 'garbage{', payloadKind: 'raw', firstOffset: '7', lastOffset: '7', at: '2024-01-01T00:00:01.000Z' }),
    item({ id: missingLabel, label: missingLabel, epoch: 0, table: 'dw.gone', payload: JSON.stringify(goneMessages), payloadKind: 'messages', reason: 'target table dw.gone does not exist', firstOffset: '20', lastOffset: '21', at: '2024-01-01T00:00:02.000Z' }),
    item({ id: 'to-discard', label: 'k2s-shop-discard', table: 'dw.audit', rows: 3, at: '2024-01-01T00:00:03.000Z' }),
  ])
})

after(async () => {
  api?.close()
  await emulator?.close()
})

describe('quarantine', () => {
  test('the list has every item without its payload, and filters by table', async () => {
    const res = await api.call('GET', '/api/instances/shop/quarantine', { token })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.items.map((i: { id: string }) => i.id), [label, 'message-shop-0-7', missingLabel, 'to-discard'])
    assert.ok(res.body.items.every((i: object) => !('payload' in i)))
    assert.deepEqual(res.body.items.map((i: { replayable: boolean }) => i.replayable), [true, false, true, true])
    assert.equal(res.body.items[0].payloadBytes, '[{"id":"1","__op":0}]'.length)
    const filtered = await api.call('GET', '/api/instances/shop/quarantine?table=dw.audit', { token })
    assert.deepEqual(filtered.body.items.map((i: { id: string }) => i.id), ['to-discard'])
    assert.equal((await api.call('GET', '/api/instances/shop/status', { token })).body.quarantined, 4)
  })

  test('one item comes with its payload; unknown ids are 404', async () => {
    const res = await api.call('GET', `/api/instances/shop/quarantine/${label}`, { token })
    assert.equal(res.status, 200)
    assert.equal(res.body.payload, '[{"id":"1","__op":0}]')
    assert.deepEqual(res.body.details, ['Error: value too long. Row: {"id":"1"}'])
    for (const [method, path] of [['GET', ''], ['DELETE', ''], ['POST', '/replay']]) {
      const missing = await api.call(method!, `/api/instances/shop/quarantine/nope${path}`, { token })
      assert.equal(missing.status, 404, `${method} ${path}`)
    }
    assert.equal((await api.call('GET', `/api/instances/ghost/quarantine/${label}`, { token })).status, 404)
  })

  test('discard removes the item and counts it', async () => {
    const res = await api.call('DELETE', '/api/instances/shop/quarantine/to-discard', { token })
    assert.deepEqual([res.status, res.body], [200, { discarded: 'to-discard' }])
    assert.equal((await api.call('GET', '/api/instances/shop/quarantine/to-discard', { token })).status, 404)
    const counters = await api.activity.counters('shop')
    assert.deepEqual([counters.discardedItems, counters.discardedRows], [1, 3])
  })

  test('a message that could not be read cannot be replayed: 409 saying why', async () => {
    const res = await api.call('POST', '/api/instances/shop/quarantine/message-shop-0-7/replay', { token })
    assert.equal(res.status, 409, res.text)
    assert.match(res.body.error, /could not be read at all/)
  })

  test('source messages whose table was missing: refused again while it is, loaded through the mapping once it exists', async () => {
    const early = await api.call('POST', `/api/instances/shop/quarantine/${missingLabel}/replay`, { token })
    assert.equal(early.status, 400, early.text)
    assert.match(early.body.error, /still refused: target table dw.gone does not exist/)
    assert.equal((await api.call('GET', `/api/instances/shop/quarantine/${missingLabel}`, { token })).status, 200)

    await emulator.execute('CREATE TABLE dw.gone (id BIGINT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
    const res = await api.call('POST', `/api/instances/shop/quarantine/${missingLabel}/replay`, { token })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual([res.body.status, res.body.loadedRows, res.body.txnId], ['Success', 2, null])
    assert.deepEqual(emulator.rows('dw', 'gone'), [{ id: '20' }, { id: '21' }])
    assert.equal((await api.call('GET', `/api/instances/shop/quarantine/${missingLabel}`, { token })).status, 404)
  })

  test('replay loads the stored rows under <label>-r1 and removes the item', async () => {
    const replayedBefore = (await api.activity.counters('shop')).replayedRows ?? 0
    const res = await api.call('POST', `/api/instances/shop/quarantine/${label}/replay`, { token })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.label, `${label}-r1`)
    assert.equal(res.body.status, 'Success')
    assert.equal(typeof res.body.txnId, 'number')
    assert.equal(res.body.loadedRows, 1)
    assert.deepEqual(emulator.rows('dw', 'orders'), [{ id: '1', note: null }])
    assert.equal(emulator.loads.at(-1)?.label, `${label}-r1`)
    assert.equal((await api.call('GET', `/api/instances/shop/quarantine/${label}`, { token })).status, 404)
    assert.equal((await api.activity.counters('shop')).replayedRows, replayedBefore + 1)
  })

  test('the same item quarantined again replays under a new label', async () => {
    await api.activity.quarantine([item({ id: label, label, payload: '[{"id":"2","__op":0}]' })])
    const res = await api.call('POST', `/api/instances/shop/quarantine/${label}/replay`, { token })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.label, `${label}-r2`)
    assert.deepEqual(emulator.rows('dw', 'orders').map((r) => r.id), ['1', '2'])
  })

  test('rows StarRocks still refuses: 400 with its reason, and the item stays', async () => {
    await api.activity.quarantine([item({ id: 'still-bad', label: 'k2s-still-bad', payload: '[{"id":"3","note":"much too long","__op":0}]' })])
    const res = await api.call('POST', '/api/instances/shop/quarantine/still-bad/replay', { token })
    assert.equal(res.status, 400, res.text)
    assert.match(res.body.error, /StarRocks refused the replay/)
    assert.equal(res.body.label, 'k2s-still-bad-r1')
    assert.equal((await api.call('GET', '/api/instances/shop/quarantine/still-bad', { token })).status, 200)
    assert.deepEqual(emulator.rows('dw', 'orders').map((r) => r.id), ['1', '2'])
  })

  test('StarRocks unreachable: 502 with the reason, and the item stays', async () => {
    // Another FE port: the stored password comes along only when given again.
    const update = instanceBody('shop', { feHttpPort: 1, loadTimeoutMs: 2000 })
    assert.equal((await api.call('PUT', '/api/instances/shop', { token, body: update })).status, 200)
    await api.activity.quarantine([item({ id: 'later', label: 'k2s-later' })])
    const res = await api.call('POST', '/api/instances/shop/quarantine/later/replay', { token })
    assert.equal(res.status, 502, res.text)
    assert.match(res.body.error, /StarRocks did not load the replay/)
    assert.equal((await api.call('GET', '/api/instances/shop/quarantine/later', { token })).status, 200)
  })

  test('a deleted instance\'s quarantine stays readable; replaying it needs the instance', async () => {
    assert.equal((await api.call('DELETE', '/api/instances/shop', { token })).status, 200)
    const list = await api.call('GET', '/api/instances/shop/quarantine', { token })
    assert.equal(list.status, 200)
    assert.deepEqual(list.body.items.map((i: { id: string }) => i.id).sort(), ['later', 'message-shop-0-7', 'still-bad'])
    const replay = await api.call('POST', '/api/instances/shop/quarantine/later/replay', { token })
    assert.equal(replay.status, 404)
    assert.match(replay.body.error, /StarRocks settings/)
  })

  test('replay labels stay within StarRocks\' 128 characters and keep the hash', () => {
    const long = loadLabel({ prefix: 'k2s', instance: 'i'.repeat(64), epoch: 0, topic: 't'.repeat(100), partition: 0, firstOffset: '1', lastOffset: '2', database: 'dw', table: 'orders' })
    assert.equal(long.length, 128)
    const replay = replayLabel(long, 12)
    assert.equal(replay.length, 128)
    assert.ok(replay.endsWith(`${long.slice(-21)}-r12`))
    assert.match(replay, /^[-\w]{1,128}$/)
  })
})
