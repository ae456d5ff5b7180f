import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exposition } from '../../src/observe/prometheus-text.ts'

test('HELP and TYPE lines, labels in order, values as Prometheus spells them', () => {
  const text = exposition([
    { name: 'k2s_x', type: 'gauge', help: 'An x.', samples: [{ labels: { instance: 'shop', partition: '0' }, value: 1.5 }, { value: NaN }] },
    { name: 'k2s_y_total', type: 'counter', help: 'Ys.', samples: [{ value: Infinity }, { value: -Infinity }] },
  ])
  assert.equal(text, [
    '# HELP k2s_x An x.',
    '# TYPE k2s_x gauge',
    'k2s_x{instance="shop",partition="0"} 1.5',
    'k2s_x NaN',
    '# HELP k2s_y_total Ys.',
    '# TYPE k2s_y_total counter',
    'k2s_y_total +Inf',
    'k2s_y_total -Inf',
    '',
  ].join('\n'))
})

test('label values and help texts are escaped, so no name can break a scrape', () => {
  const text = exposition([{ name: 'k2s_x', type: 'gauge', help: 'back\\slash\nnewline "quotes"', samples: [{ labels: { topic: 'a"b\\c\nd' }, value: 2 }] }])
  assert.equal(text, '# HELP k2s_x back\\\\slash\\nnewline "quotes"\n# TYPE k2s_x gauge\nk2s_x{topic="a\\"b\\\\c\\nd"} 2\n')
})

test('a bad metric or label name is a programming error, caught at once', () => {
  assert.throws(() => exposition([{ name: 'k2s-x', type: 'gauge', help: '', samples: [] }]), /invalid metric name k2s-x/)
  assert.throws(() => exposition([{ name: 'k2s_x', type: 'gauge', help: '', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] }]), /invalid label name bad-label/)
  assert.throws(() => exposition([{ name: 'k2s_x', type: 'gauge', help: '', samples: [{ labels: { __name__: 'v' }, value: 1 }] }]), /invalid label name __name__/)
})
