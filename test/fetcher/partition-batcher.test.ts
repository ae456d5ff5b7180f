import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { holdBack, PartitionBatcher, type BufferedMessage, type Cut, type CutLimits } from '../../src/fetcher/partition-batcher.ts'
import type { BatchRange } from '../../src/jobs/batch-ranges.ts'

const big = 1_000_000_000

function msg(offset: number | string, p: { rows?: number; bytes?: number; at?: number } = {}): BufferedMessage {
  return { offset: String(offset), value: Buffer.from(`m${offset}`), rows: p.rows ?? 1, bytes: p.bytes ?? 10, at: p.at ?? 0 }
}

function batcher(limits: Partial<CutLimits>, start = 0n, replay: BatchRange[] = []): PartitionBatcher {
  return new PartitionBatcher({ maxRows: big, maxBytes: big, maxWaitMs: 1_000, ...limits }, start, replay)
}

function pushAll(b: PartitionBatcher, messages: BufferedMessage[]): void {
  for (const m of messages) assert.equal(b.push(m), true, `push ${m.offset}`)
}

const offsets = (cut: Cut | null): string[] | null => (cut ? cut.messages.map((m) => m.offset) : null)

/** A cut's range and its messages in one comparable value. */
const shape = (cut: Cut | null) => (cut ? { first: cut.firstOffset, last: cut.lastOffset, offsets: offsets(cut) } : null)

describe('PartitionBatcher: size rules', () => {
  test('cuts at maxRows without splitting a message', () => {
    const b = batcher({ maxRows: 10 })
    pushAll(b, [0, 1, 2, 3, 4].map((o) => msg(o, { rows: 3 })))
    // 3+3+3 = 9; the fourth message would make 12 > 10.
    assert.deepEqual(shape(b.cut(0)), { first: '0', last: '2', offsets: ['0', '1', '2'] })
    // 6 rows left, below maxRows and the wait has not elapsed.
    assert.equal(b.cut(999), null)
    assert.deepEqual(shape(b.cut(1_000)), { first: '3', last: '4', offsets: ['3', '4'] })
    assert.equal(b.cut(10_000), null)
  })

  test('cuts as soon as exactly maxRows are buffered', () => {
    const b = batcher({ maxRows: 10 })
    pushAll(b, [msg(0, { rows: 4 }), msg(1, { rows: 6 })])
    assert.deepEqual(offsets(b.cut(0)), ['0', '1'])
  })

  test('a single message larger than maxRows still cuts, alone', () => {
    const b = batcher({ maxRows: 10 })
    pushAll(b, [msg(0, { rows: 2 }), msg(1, { rows: 25 }), msg(2, { rows: 1 })])
    assert.deepEqual(offsets(b.cut(0)), ['0'])
    assert.deepEqual(offsets(b.cut(0)), ['1'])
    assert.equal(b.cut(0), null)
    assert.deepEqual(offsets(b.cut(1_000)), ['2'])

    const alone = batcher({ maxRows: 10 })
    pushAll(alone, [msg(7, { rows: 11 })])
    assert.deepEqual(shape(alone.cut(0)), { first: '7', last: '7', offsets: ['7'] })
  })

  test('cuts at maxBytes without splitting a message', () => {
    const b = batcher({ maxBytes: 1_000 })
    pushAll(b, [0, 1, 2, 3].map((o) => msg(o, { bytes: 400 })))
    assert.deepEqual(offsets(b.cut(0)), ['0', '1'])
    // 800 bytes left: below maxBytes, so only the time rule cuts them.
    assert.equal(b.cut(999), null)
    assert.deepEqual(offsets(b.cut(1_000)), ['2', '3'])
  })

  test('a single message larger than maxBytes cuts alone', () => {
    const b = batcher({ maxBytes: 1_000 })
    pushAll(b, [msg(0, { bytes: 5_000 }), msg(1, { bytes: 10 })])
    assert.deepEqual(offsets(b.cut(0)), ['0'])
    assert.equal(b.cut(0), null)
  })
})

describe('PartitionBatcher: time rule', () => {
  test('nothing is cut before maxWaitMs after the first message; then everything buffered', () => {
    const b = batcher({ maxRows: 100, maxWaitMs: 1_000 })
    assert.equal(b.cut(0), null)
    pushAll(b, [msg(0, { at: 5_000 }), msg(1, { at: 5_600 })])
    assert.equal(b.cut(5_000), null)
    assert.equal(b.cut(5_999), null)
    assert.deepEqual(shape(b.cut(6_000)), { first: '0', last: '1', offsets: ['0', '1'] })
    assert.equal(b.cut(100_000), null)
  })

  test('waitMs: null when empty, time left until the first message is maxWaitMs old, never negative', () => {
    const b = batcher({ maxWaitMs: 1_000 })
    assert.equal(b.waitMs(0), null)
    pushAll(b, [msg(0, { at: 5_000 }), msg(1, { at: 5_900 })])
    assert.equal(b.waitMs(5_000), 1_000)
    assert.equal(b.waitMs(5_200), 800)
    assert.equal(b.waitMs(6_000), 0)
    assert.equal(b.waitMs(9_000), 0)
    b.cut(6_000)
    assert.equal(b.waitMs(6_000), null)
  })

  test('after a size cut, the time rule runs from the first message left', () => {
    const b = batcher({ maxRows: 2, maxWaitMs: 1_000 })
    pushAll(b, [msg(0, { at: 0 }), msg(1, { at: 0 }), msg(2, { at: 700 })])
    assert.deepEqual(offsets(b.cut(800)), ['0', '1'])
    assert.equal(b.waitMs(800), 900)
    assert.equal(b.cut(1_699), null)
    assert.deepEqual(offsets(b.cut(1_700)), ['2'])
  })
})

describe('PartitionBatcher: push and full', () => {
  test('duplicate and older offsets are ignored (Kafka hands messages again after a seek)', () => {
    const b = batcher({ maxWaitMs: 0 }, 10n)
    assert.equal(b.push(msg(9)), false)
    assert.equal(b.push(msg(10)), true)
    assert.equal(b.push(msg(10)), false)
    assert.equal(b.push(msg(11)), true)
    assert.equal(b.push(msg(5)), false)
    assert.equal(b.push(msg(11)), false)
    // A gap (compacted topic) is fine.
    assert.equal(b.push(msg(15)), true)
    assert.equal(b.next, 16n)
    assert.deepEqual(offsets(b.cut(0)), ['10', '11', '15'])
  })

  test('offsets beyond 2^53 are compared exactly', () => {
    const b = batcher({ maxWaitMs: 0 }, 9007199254740993n)
    assert.equal(b.push(msg('9007199254740992')), false)
    assert.equal(b.push(msg('9007199254740993')), true)
    assert.equal(b.push(msg('9007199254740993')), false)
    assert.equal(b.push(msg('9007199254740994')), true)
    assert.deepEqual(offsets(b.cut(0)), ['9007199254740993', '9007199254740994'])
  })

  test('ignored messages do not count towards the limits', () => {
    const b = batcher({ maxRows: 10 }, 0n)
    pushAll(b, [msg(0, { rows: 6 })])
    assert.equal(b.push(msg(0, { rows: 6 })), false)
    assert.equal(b.cut(0), null)
  })

  test('full once a batch worth of rows or bytes is buffered', () => {
    const rows = batcher({ maxRows: 10 })
    pushAll(rows, [msg(0, { rows: 6 }), msg(1, { rows: 3 })])
    assert.equal(rows.full, false)
    pushAll(rows, [msg(2, { rows: 1 })])
    assert.equal(rows.full, true)
    rows.cut(0)
    assert.equal(rows.full, false)

    const bytes = batcher({ maxBytes: 100 })
    pushAll(bytes, [msg(0, { bytes: 60 })])
    assert.equal(bytes.full, false)
    pushAll(bytes, [msg(1, { bytes: 40 })])
    assert.equal(bytes.full, true)
  })
})

describe('PartitionBatcher: replay of a recorded range', () => {
  const range: BatchRange = { epoch: 0, firstOffset: '100', lastOffset: '104' }

  test('cuts exactly [first, last] although more is buffered and maxRows is smaller', () => {
    const b = batcher({ maxRows: 2, maxWaitMs: 1_000 }, 100n, [range])
    pushAll(b, [100, 101, 102, 103, 104, 105, 106, 107, 108].map((o) => msg(o)))
    assert.deepEqual(shape(b.cut(0)), { first: '100', last: '104', offsets: ['100', '101', '102', '103', '104'] })
    // After the replay, the ordinary rules cut again.
    assert.deepEqual(offsets(b.cut(0)), ['105', '106'])
    assert.deepEqual(offsets(b.cut(0)), ['107', '108'])
  })

  test('cuts exactly [first, last] even when the range held more rows than maxRows', () => {
    const b = batcher({ maxRows: 3 }, 100n, [range])
    pushAll(b, [100, 101, 102, 103, 104].map((o) => msg(o, { rows: 2 })))
    assert.deepEqual(offsets(b.cut(0)), ['100', '101', '102', '103', '104'])
  })

  test('waits for the last offset, whatever the time, and waitMs stays null meanwhile', () => {
    const b = batcher({ maxRows: 2, maxWaitMs: 1_000 }, 100n, [range])
    pushAll(b, [100, 101, 102].map((o) => msg(o, { at: 0 })))
    assert.equal(b.cut(1_000_000), null)
    assert.equal(b.waitMs(1_000_000), null)
    pushAll(b, [msg(103), msg(104)])
    assert.deepEqual(shape(b.cut(0)), { first: '100', last: '104', offsets: ['100', '101', '102', '103', '104'] })
  })

  test('when the last offset is gone (compaction), the next offset closes the range', () => {
    const b = batcher({ maxWaitMs: 1_000 }, 100n, [range])
    pushAll(b, [msg(100), msg(101), msg(102)])
    assert.equal(b.cut(1_000_000), null)
    pushAll(b, [msg(106, { at: 500 }), msg(107, { at: 500 })])
    assert.deepEqual(shape(b.cut(500)), { first: '100', last: '104', offsets: ['100', '101', '102'] })
    assert.equal(b.cut(500), null)
    assert.deepEqual(offsets(b.cut(1_500)), ['106', '107'])
  })

  test('when the first offsets are gone, the cut still carries the recorded range', () => {
    const b = batcher({}, 100n, [range])
    pushAll(b, [msg(102), msg(104), msg(105)])
    assert.deepEqual(shape(b.cut(0)), { first: '100', last: '104', offsets: ['102', '104'] })
  })

  test('a replay that waits for its last offset is not "full" (else the paused partition never delivers it)', () => {
    // The operator lowered commitBatch from 10 to 2 before the restart: the recorded range holds 10
    // rows. The fetcher pauses a partition whose batcher is full and resumes it only after a cut, so
    // a full batcher whose cut waits for more messages stalls the partition for good.
    const b = batcher({ maxRows: 2 }, 100n, [{ epoch: 0, firstOffset: '100', lastOffset: '109' }])
    pushAll(b, [100, 101, 102, 103, 104].map((o) => msg(o)))
    assert.equal(b.cut(1_000_000), null)
    assert.equal(b.full, false)
    pushAll(b, [105, 106, 107, 108, 109].map((o) => msg(o)))
    assert.deepEqual(offsets(b.cut(0)), ['100', '101', '102', '103', '104', '105', '106', '107', '108', '109'])
  })

  test('two recorded ranges (the batch loading and the one cut behind it) are cut again one after the other, exactly', () => {
    const b = batcher({ maxRows: 100, maxWaitMs: 0 }, 100n, [range, { epoch: 0, firstOffset: '105', lastOffset: '106' }])
    pushAll(b, [100, 101, 102, 103, 104, 105].map((o) => msg(o)))
    assert.deepEqual(offsets(b.cut(0)), ['100', '101', '102', '103', '104'])
    assert.equal(b.cut(1_000_000), null, 'the second range waits for its last offset too')
    assert.equal(b.replaying, true)
    pushAll(b, [106, 107].map((o) => msg(o)))
    assert.deepEqual(shape(b.cut(0)), { first: '105', last: '106', offsets: ['105', '106'] })
    assert.equal(b.replaying, false)
    assert.deepEqual(offsets(b.cut(0)), ['107'])
  })

  test('a recorded range whose messages are all gone (retention) is skipped, and the next range is cut', () => {
    const b = batcher({ maxWaitMs: 1_000 }, 100n, [range, { epoch: 0, firstOffset: '105', lastOffset: '106' }])
    pushAll(b, [msg(105), msg(106)])
    assert.deepEqual(shape(b.cut(0)), { first: '105', last: '106', offsets: ['105', '106'] })
  })
})

describe('holdBack: when a partition stops fetching', () => {
  const budget = 1_000
  test('a full next batch stops it once it holds its share of the budget', () => {
    const b = batcher({ maxRows: 2 })
    pushAll(b, [msg(0), msg(1)])
    assert.equal(b.buffered, 20)
    assert.equal(holdBack(b, false, 20, 0, budget), true, 'sixteen partitions: a share of one batch')
    assert.equal(holdBack(b, true, budget, 20, budget), false, 'one busy partition alone reads further ahead')
    pushAll(b, Array.from({ length: 98 }, (_, i) => msg(i + 2)))
    assert.equal(holdBack(b, true, budget, 1_000, budget), true, 'up to the whole budget')
  })

  test('over the fetcher-wide budget, only a partition with a batch in flight is held back', () => {
    const b = batcher({ maxRows: 10 })
    pushAll(b, [msg(0)])
    assert.equal(b.buffered, 10)
    assert.equal(holdBack(b, true, budget, budget + 1, budget), true)
    assert.equal(holdBack(b, true, budget, budget, budget), false, 'at the budget, not over it')
    assert.equal(holdBack(b, false, budget, budget + 1, budget), false, 'nothing in flight: it must fill its next batch')
  })

  test('a replay is never held back, full or over budget: the range must arrive whole', () => {
    const b = batcher({ maxRows: 1 }, 0n, [{ epoch: 0, firstOffset: '0', lastOffset: '5' }])
    pushAll(b, [msg(0), msg(1)])
    assert.equal(b.replaying, true)
    assert.equal(holdBack(b, true, 0, budget + 1, budget), false)
  })
})
