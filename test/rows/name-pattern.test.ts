import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { compileNamePattern, maxPatternLength, namePatternProblem } from '../../src/rows/name-pattern.ts'
import { createTableRouter } from '../../src/rows/table-mapping.ts'
import { mappingRuleSchema, type MappingEnv } from '../../src/instances/config.ts'

/**
 * Whole-name patterns match in time linear in the name, whatever the pattern: a backtracking engine
 * takes longer than the age of the universe on `(a+)+` against 10,000 `a`s and `!`; this returns
 * at once. What cannot be matched that way, or costs too much to compile, is refused with a reason.
 */
const hostile = 'a'.repeat(10_000) + '!'

describe('name patterns', () => {
  test('(a+)+ against a 10,000-character name answers at once, in the router too', () => {
    const started = performance.now()
    assert.equal(compileNamePattern('(a+)+').test(hostile), false)
    assert.equal(compileNamePattern('(a+)+').match(hostile), null)
    const route = createTableRouter({ name: 'e', description: '', rules: [mappingRuleSchema.parse({ sourceDatabase: '(a+)+', sourceTable: '(x*)*y' })] } as MappingEnv)
    assert.equal(route(hostile, 'x'.repeat(10_000) + '!'), null)
    assert.equal(route('aaa', 'xxy')?.table, 'xxy')
    const ms = performance.now() - started
    assert.ok(ms < 2_000, `took ${ms} ms`)
  })

  test('whole names only, with numbered and named groups', () => {
    const p = compileNamePattern('orders_(\\d+)')
    assert.equal(p.test('orders_12'), true)
    assert.equal(p.test('xorders_12'), false)
    assert.equal(p.test('orders_12x'), false)
    assert.deepEqual(p.match('orders_12')?.groups, ['orders_12', '12'])
    const named = compileNamePattern('(?<shop>[a-z]+)_(?P<year>\\d{4})?')
    assert.deepEqual(named.groupNames, ['shop', 'year'])
    assert.deepEqual(named.match('eu_')?.named, { shop: 'eu', year: undefined })
    assert.equal(compileNamePattern('a|b').test('b'), true, 'alternation is inside the whole-name anchor')
  })

  test('refused with a reason: too long, look-around, back-references, huge repeats, too complex', () => {
    assert.match(namePatternProblem('a'.repeat(60_000))!.message, new RegExp(`at most ${maxPatternLength} characters`))
    assert.match(namePatternProblem('(?=a)b')!.message, /look-ahead/)
    assert.match(namePatternProblem('(?<!a)b')!.message, /look-behind/)
    assert.match(namePatternProblem('(a)\\1')!.message, /back-references/)
    assert.match(namePatternProblem('a{1000}')!.message, /repeat count may be at most/)
    assert.match(namePatternProblem('(x|y|z){1,64}'.repeat(5))!.message, /add up to at most/)
    assert.match(namePatternProblem('(')!.message, /missing closing/)
    assert.equal(namePatternProblem('')?.code, 'pattern.empty')
    assert.equal(namePatternProblem('shop_[0-9]{1,8}'), undefined)
  })

  test('checking even the costliest accepted pattern stays in the milliseconds', () => {
    const costly = ['(?i)' + '[\\p{L}\\p{N}]+'.repeat(60), '(x|y|z){1,64}'.repeat(4), '(?i)[\\p{L}\\p{N}\\p{Greek}]{1,64}'.repeat(4)]
    for (const [i, p] of costly.entries()) {
      const started = performance.now()
      assert.equal(namePatternProblem(`${p}${i}`), undefined)
      const ms = performance.now() - started
      assert.ok(ms < 1_000, `${p.slice(0, 40)}: ${ms} ms`)
    }
  })
})
