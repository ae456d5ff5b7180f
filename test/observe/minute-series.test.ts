import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { instanceActivity } from '../../src/instances/instance-activity.ts'
import { keptMinutes, readMinuteSeries, recordMinuteLag } from '../../src/observe/minute-series.ts'
import { adminFixture, instanceBody, mappingBody, type AdminFixture } from '../api/api-fixtures.ts'

/**
 * The instance charts' data: what loaders counted and what the fetcher saw, per minute in Redis,
 * for the instance and per partition, and the API route the console reads them from.
 */
let api: AdminFixture
let token: string
const minute = 60_000
// The loaders stamp the current minute: start early in one, so the test ends in it too.
let now = 0

before(async () => {
  const left = minute - (Date.now() % minute)
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 50))
  now = Math.floor(Date.now() / minute) * minute + 30_000
  api = await adminFixture('minute-series')
  token = await api.login()
  await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop') })
  await api.call('POST', '/api/instances', { token, body: instanceBody('orders', { topics: ['orders', 'refunds'] }) })
})

after(() => api?.close())

test('rows and quarantined rows add up per minute and partition; lag keeps the minute\'s last report', async () => {
  const { redis, keys } = api
  const activity = instanceActivity(redis, keys)
  const at = (minutesAgo: number) => now - minutesAgo * minute
  // count() stamps the current minute: two batches now, on two partitions.
  await activity.count('orders', { loadedRows: 120, batches: 1 }, {}, { topic: 'orders', partition: 0 })
  await activity.count('orders', { loadedRows: 60, quarantinedRows: 2, batches: 1 }, {}, { topic: 'orders', partition: 1 })
  await recordMinuteLag(redis, keys, 'orders', [{ topic: 'orders', partition: 0, lag: '50', oldestEs: at(3) - 40_000 }], at(3))
  await recordMinuteLag(redis, keys, 'orders', [{ topic: 'orders', partition: 0, lag: '7', oldestEs: at(3) - 5_000 }, { topic: 'orders', partition: 1, lag: '0', oldestEs: null }], at(3) + 10_000)

  const s = await readMinuteSeries(redis, keys, 'orders', { minutes: 5, partitions: true, now: Date.now() })
  assert.equal(s.minutes.length, 5)
  assert.equal(s.minutes[4], Math.floor(Date.now() / minute) * 60)
  assert.deepEqual(s.rowsPerSecond, [0, 0, 0, 0, 3])
  assert.deepEqual(s.quarantinedRows, [0, 0, 0, 0, 2])
  // Three minutes ago: the later report of that minute, 7 behind, its oldest message 15 s old then.
  assert.deepEqual(s.lagMessages, [null, 7, null, null, null])
  assert.deepEqual(s.lagSeconds, [null, 15, null, null, null])
  assert.deepEqual(s.partitions!.map((p) => [p.topic, p.partition, p.rowsPerSecond[4], p.quarantinedRows[4], p.lagMessages[1], p.lagSeconds[1]]), [
    ['orders', 0, 2, 0, 7, 15],
    ['orders', 1, 1, 2, 0, 0],
  ])
  const key = keys.minuteSeries('orders', Math.floor(Date.now() / minute))
  const ttl = await redis.ttl(key)
  assert.ok(ttl > keptMinutes * 60 - 10 && ttl <= keptMinutes * 60 + 120, `kept for a day, not forever (ttl ${ttl})`)
})

test('GET /api/instances/{name}/series: the last hour by default, partitions on demand; bad input is a 400', async () => {
  const hour = await api.call('GET', '/api/instances/orders/series', { token })
  assert.equal(hour.status, 200, hour.text)
  assert.equal(hour.body.minutes.length, 60)
  assert.equal(hour.body.rowsPerSecond.at(-1), 3)
  assert.equal(hour.body.partitions, undefined)
  const parts = await api.call('GET', '/api/instances/orders/series?minutes=10&partitions=1', { token })
  assert.deepEqual(parts.body.partitions.map((p: { partition: number }) => p.partition), [0, 1])
  const tooLong = await api.call('GET', `/api/instances/orders/series?minutes=${keptMinutes + 1}`, { token })
  assert.deepEqual([tooLong.status, tooLong.body.issues.map((i: { path: string; code: string }) => [i.path, i.code])], [400, [['minutes', 'field.number_too_big']]])
  assert.equal((await api.call('GET', '/api/instances/nope/series', { token })).status, 404)
})
