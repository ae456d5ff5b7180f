import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { JsonNumber, numberText, parseJson } from '../../src/formats/lossless-json.ts'

describe('parseJson keeps every digit', () => {
  test('numbers a double would round come back as their text', () => {
    const v = parseJson('{"u":18446744073709551615,"d":12345678901234567890.123456789,"e":1.2345678901234567E20,"small":3.14,"i":42}') as Record<string, unknown>
    assert.deepEqual(v.u, new JsonNumber('18446744073709551615'))
    assert.deepEqual(v.d, new JsonNumber('12345678901234567890.123456789'))
    assert.deepEqual(v.e, new JsonNumber('1.2345678901234567E20'))
    assert.equal(v.small, 3.14)
    assert.equal(v.i, 42)
  })

  test('sixteen digits within 2^53 (epoch microseconds) take JSON.parse; beyond it, the text', () => {
    assert.equal(parseJson('1679581805123456'), 1679581805123456)
    assert.deepEqual(parseJson('9007199254740993'), new JsonNumber('9007199254740993'))
  })

  test('the lossless parser reads what JSON.parse reads: escapes, nesting, literals, whitespace', () => {
    const text = ' { "s" : "a\\"b\\u4e2d\\n" , "a" : [ true , false , null , { } , [ ] , -0.5 , 7 ] , "big" : 99999999999999999 } '
    const v = parseJson(text) as Record<string, unknown>
    const plain = JSON.parse(text) as Record<string, unknown>
    assert.equal(v.s, plain.s)
    assert.deepEqual(v.a, plain.a)
    assert.equal(numberText(v.big as JsonNumber), '99999999999999999')
  })

  test('a DECIMAL keeps its scale, an exponent and a negative zero their spelling', () => {
    assert.deepEqual(parseJson('{"d":1.00,"e":1e3,"z":-0,"f":2.5,"g":10}'), { d: new JsonNumber('1.00'), e: new JsonNumber('1e3'), z: new JsonNumber('-0'), f: 2.5, g: 10 })
    assert.equal(numberText((parseJson('[0.10]') as JsonNumber[])[0]!), '0.10')
  })

  test('malformed text is refused, lossless or not', () => {
    for (const bad of ['{"a":12345678901234567890', '{"a":12345678901234567890,}', '[12345678901234567890 1]', '{"a" 12345678901234567890}', '"12345678901234567890', '12345678901234567890 x']) {
      assert.throws(() => parseJson(bad), SyntaxError, bad)
    }
  })
})
