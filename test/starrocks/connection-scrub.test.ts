import assert from 'node:assert/strict'
import { test } from 'node:test'
import { scrubber } from '../../src/starrocks/connection-check.ts'

const target = { kafkaBootstrap: '127.0.0.1:9092,10.0.0.2:9092', topics: ['orders'], jdbcUrl: 'jdbc:mysql://fe:9030/', feHost: 'fe', feHttpPort: 8030, userName: 'loader' }

test('a password a library echoed is masked; what the user typed in plain sight never is', () => {
  const scrub = scrubber({ ...target, passWord: 'hunter22' })
  assert.equal(scrub("Access denied for user 'loader' using password hunter22"), "Access denied for user 'loader' using password ***")
  assert.equal(scrub('connect ECONNREFUSED 127.0.0.1:9092'), 'connect ECONNREFUSED 127.0.0.1:9092')
})

test('a short password is not searched for: masking it would show where its characters are', () => {
  assert.equal(scrubber({ ...target, passWord: '0' })('connect ECONNREFUSED 127.0.0.1:9092'), 'connect ECONNREFUSED 127.0.0.1:9092')
  assert.equal(scrubber({ ...target, passWord: '127' })('connect ECONNREFUSED 127.0.0.1:9092'), 'connect ECONNREFUSED 127.0.0.1:9092')
})

test('a password that is part of an address leaves the address whole and is masked elsewhere', () => {
  const scrub = scrubber({ ...target, passWord: '9092' })
  assert.equal(scrub('connect ECONNREFUSED 127.0.0.1:9092 (password 9092)'), 'connect ECONNREFUSED 127.0.0.1:9092 (password ***)')
})
