import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ZodError } from 'zod'
import { loadNodeConfig, parseProperties } from '../../src/nodes/node-config.ts'

/** A seed user's consumer.properties works as it is; K2S keys and environment variables too. */
const seedFile = `# consumer node (seed)
server.port = 10002
spring.jackson.date-format = yyyy-MM-dd HH:mm:ss
spring.jackson.time-zone = GMT+8
logging.file.path = /opt/k2s/logs/
canal.register.ip =
canal.admin.manager = 127.0.0.1:8089
canal.admin.port = 11110
canal.admin.user = admin
canal.admin.passwd = 123456
canal.admin.register.auto = true
canal.admin.register.cluster = east
canal.admin.register.name = consumer-01
forest.log-enabled = false
`

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'k2s-node-config-')), 'node.properties')
  writeFileSync(path, text)
  return path
}

describe('node configuration', () => {
  test('the seed file: canal.* keys are read as aliases, empty values mean the default', () => {
    const config = loadNodeConfig({}, file(seedFile))
    assert.equal(config.port, 10002)
    assert.equal(config.logPath, '/opt/k2s/logs/')
    assert.equal(config.adminUrl, 'http://127.0.0.1:8089')
    assert.equal(config.nodeToken, '123456')
    assert.equal(config.registerAuto, true)
    assert.equal(config.cluster, 'east')
    assert.equal(config.name, 'consumer-01')
    assert.match(config.address, /^\d+\.\d+\.\d+\.\d+$/, 'an empty register IP is detected')
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379')
  })

  test('environment variables win over the file', () => {
    const config = loadNodeConfig({ K2S_NODE_NAME: 'from-env', K2S_REGISTER_AUTO: 'false', K2S_REGISTER_IP: '10.1.2.3', K2S_LEASE_MS: '4000' }, file(seedFile))
    assert.equal(config.name, 'from-env')
    assert.equal(config.registerAuto, false)
    assert.equal(config.address, '10.1.2.3')
    assert.equal(config.leaseMs, 4000)
  })

  test('k2s.* keys and no file at all', () => {
    assert.equal(loadNodeConfig({}, file('k2s.node.port: 12000\nk2s.admin.manager=https://admin.example:8443/\n')).adminUrl, 'https://admin.example:8443')
    const defaults = loadNodeConfig({})
    assert.equal(defaults.port, 10002)
    assert.equal(defaults.adminUrl, '')
    assert.equal(defaults.registerAuto, true)
    assert.match(defaults.name, /-10002$/)
  })

  test("the admin's address: loopback unless the file or K2S_ADMIN_HOST name another", () => {
    assert.equal(loadNodeConfig({}).adminHost, '127.0.0.1')
    assert.equal(loadNodeConfig({}, file(seedFile)).adminHost, '127.0.0.1')
    assert.equal(loadNodeConfig({}, file('k2s.admin.host = 10.0.0.5\n')).adminHost, '10.0.0.5')
    assert.equal(loadNodeConfig({ K2S_ADMIN_HOST: '0.0.0.0' }, file('k2s.admin.host = 10.0.0.5\n')).adminHost, '0.0.0.0')
  })

  test('a bad value is refused naming its key', () => {
    assert.throws(() => loadNodeConfig({}, file('canal.admin.register.auto = yes\n')), (err: unknown) => {
      assert.ok(err instanceof ZodError)
      assert.deepEqual(err.issues.map((i) => i.path.join('.')), ['k2s.register.auto'])
      return true
    })
    assert.throws(() => loadNodeConfig({ K2S_NODE_PORT: '70000' }), /k2s\.node\.port|65535/)
  })

  test('properties syntax: = or :, comments, blank values', () => {
    assert.deepEqual(parseProperties('# c\n! c\na=1\nb : two words\nc=\n\n  d = x=y  \n'), { a: '1', b: 'two words', c: '', d: 'x=y' })
  })
})
