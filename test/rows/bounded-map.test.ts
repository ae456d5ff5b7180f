import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BoundedMap } from '../../src/rows/bounded-map.ts'

test('a BoundedMap never holds more than its max, forgetting the oldest first', () => {
  const map = new BoundedMap<string, number>(3)
  for (let i = 0; i < 10; i++) map.set(`k${i}`, i)
  assert.equal(map.size, 3)
  assert.deepEqual([...map.keys()], ['k7', 'k8', 'k9'])
})

test('setting a key it holds replaces the value and forgets nothing', () => {
  const map = new BoundedMap<string, number>(2)
  map.set('a', 1).set('b', 2).set('a', 3)
  assert.deepEqual([...map.entries()], [['a', 3], ['b', 2]])
})
