import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lagFigures, partitionSeconds } from '../../src/observe/lag-record.ts'

const now = 1_800_000_000_000

test('a partition is as many seconds behind as its oldest unloaded message is old; 0 when caught up', () => {
  assert.equal(partitionSeconds({ lag: '5', oldestEs: now - 90_500 }, now), 90.5)
  assert.equal(partitionSeconds({ lag: '0', oldestEs: now - 90_500 }, now), 0)
  assert.equal(partitionSeconds({ lag: '0', oldestEs: null }, now), 0)
  assert.equal(partitionSeconds({ lag: '5', oldestEs: null }, now), null)
  // A binlog clock ahead of ours is not negative lag.
  assert.equal(partitionSeconds({ lag: '1', oldestEs: now + 5_000 }, now), 0)
})

test('an instance sums messages and takes the partition furthest behind that it knows', () => {
  assert.deepEqual(lagFigures([{ lag: '0', oldestEs: null }, { lag: '0', oldestEs: now - 1_000 }], now), { messages: 0, seconds: 0 })
  assert.deepEqual(lagFigures([{ lag: '3', oldestEs: now - 10_000 }, { lag: '4', oldestEs: now - 70_000 }, { lag: '0', oldestEs: null }], now), { messages: 7, seconds: 70 })
  assert.deepEqual(lagFigures([{ lag: '3', oldestEs: null }, { lag: '1', oldestEs: now - 2_000 }], now), { messages: 4, seconds: 2 })
  assert.deepEqual(lagFigures([{ lag: '3', oldestEs: null }, { lag: '0', oldestEs: null }], now), { messages: 3, seconds: null })
  assert.deepEqual(lagFigures(null, now), { messages: null, seconds: null })
})
