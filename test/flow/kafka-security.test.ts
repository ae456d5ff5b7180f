import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { adminFixture, instanceBody, type AdminFixture } from '../api/api-fixtures.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { freePort } from '../harness/free-port.ts'
import { committedOffsets, createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually, instanceFor, k2sUnderTest, mappingEnv, type K2sUnderTest } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'
import { startSecureKafkaBroker, type SecureKafkaBroker } from '../harness/secure-kafka-broker.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'

/**
 * Kafka as production runs it: SASL (PLAIN, SCRAM-SHA-256/512) over plaintext and TLS, and TLS with
 * a client certificate, on a real broker with a CA made at test time. Test connection must tell
 * "authentication failed", "unreachable" and "TLS certificate not trusted" apart; the secrets must
 * never come back from the API nor rest unsealed in Redis, and must not follow a changed bootstrap.
 */
let broker: SecureKafkaBroker
let api: AdminFixture
let token: string
let emulator: StarRocksEmulator
let k2s: K2sUnderTest | undefined
const topic = 'secure-orders'

before(async () => {
  broker = await startSecureKafkaBroker()
  await createTopic(broker.bootstrap, topic, 2)
  emulator = await startStarRocksEmulator()
  await emulator.execute('CREATE DATABASE dw')
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, note VARCHAR(64)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  api = await adminFixture('kafka-security')
  api.secret(broker.password)
  api.secret(broker.clientKey.split('\n')[1]!)
  token = await api.login()
  assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: { name: 'shop', rules: [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }] } })).status, 201)
})

after(async () => {
  await k2s?.close()
  api?.close()
  await emulator?.close()
  await broker?.close()
})

const sasl = (mechanism: string, overrides: Record<string, unknown> = {}): Record<string, any> =>
  instanceBody('secure', {
    kafkaBootstrap: broker.saslPlaintext,
    topics: [topic],
    kafkaSecurityProtocol: 'SASL_PLAINTEXT',
    kafkaSaslMechanism: mechanism,
    kafkaSaslUser: broker.user,
    kafkaSaslPassword: broker.password,
    jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHttpPort: emulator.feHttpPort,
    passWord: '',
    ...overrides,
  })
const saslSsl = (overrides: Record<string, unknown> = {}) =>
  sasl('SCRAM-SHA-512', { kafkaBootstrap: broker.saslSsl, kafkaSecurityProtocol: 'SASL_SSL', kafkaTlsCa: broker.ca, ...overrides })
const mtls = (overrides: Record<string, unknown> = {}) =>
  sasl('PLAIN', { kafkaBootstrap: broker.mtls, kafkaSecurityProtocol: 'SSL', kafkaSaslUser: '', kafkaSaslPassword: '', kafkaTlsCa: broker.ca, kafkaTlsCert: broker.clientCert, kafkaTlsKey: broker.clientKey, ...overrides })

async function kafkaCheck(body: Record<string, unknown>) {
  const res = await api.call('POST', '/api/instances/test-connection', { token, body })
  assert.equal(res.status, 200, res.text)
  return res.body.kafka as { ok: boolean; message: string; code: string; params: Record<string, string | number>; topics: { name: string; partitions: number }[] }
}

describe('Test connection against a secured broker', () => {
  test('logs in with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, over plaintext and TLS, and with a client certificate', async () => {
    for (const body of [sasl('PLAIN'), sasl('SCRAM-SHA-256'), sasl('SCRAM-SHA-512'), saslSsl(), saslSsl({ kafkaSaslMechanism: 'PLAIN' }), mtls()]) {
      const kafka = await kafkaCheck(body)
      assert.equal(kafka.ok, true, `${body.kafkaSecurityProtocol} ${body.kafkaSaslMechanism}: ${kafka.message}`)
      assert.equal(kafka.code, 'kafka.connected')
      assert.deepEqual(kafka.topics, [{ name: topic, exists: true, partitions: 2 }])
    }
  })

  test('a wrong password or user: authentication failed, naming the user and mechanism, never the password', async () => {
    for (const body of [sasl('SCRAM-SHA-256', { kafkaSaslPassword: 'wrong-Pa55' }), sasl('PLAIN', { kafkaSaslUser: 'nobody' }), saslSsl({ kafkaSaslPassword: 'wrong-Pa55' })]) {
      const kafka = await kafkaCheck(body)
      assert.equal(kafka.ok, false)
      assert.equal(kafka.code, 'kafka.auth_failed', kafka.message)
      assert.match(kafka.message, /^authentication failed/)
      assert.equal(kafka.params.user, body.kafkaSaslUser)
      assert.equal(kafka.params.mechanism, body.kafkaSaslMechanism)
      assert.ok(!kafka.message.includes('wrong-Pa55'))
    }
  })

  test('nothing listening: unreachable', async () => {
    const closed = `127.0.0.1:${await freePort()}`
    const kafka = await kafkaCheck(saslSsl({ kafkaBootstrap: closed }))
    assert.equal(kafka.ok, false)
    assert.equal(kafka.code, 'kafka.unreachable', kafka.message)
    assert.match(kafka.message, new RegExp(`^unreachable: Kafka at ${closed}`))
  })

  test('a broker certificate from a CA not given: TLS certificate not trusted; a host name it does not name: refused unless verification is off', async () => {
    for (const body of [saslSsl({ kafkaTlsCa: broker.otherCa }), mtls({ kafkaTlsCa: broker.otherCa })]) {
      const kafka = await kafkaCheck(body)
      assert.equal(kafka.ok, false)
      assert.equal(kafka.code, 'kafka.tls_untrusted', kafka.message)
      assert.match(kafka.message, /^TLS certificate not trusted/)
    }
    // The certificate names IP 127.0.0.1 only.
    const byName = saslSsl({ kafkaBootstrap: broker.saslSsl.replace('127.0.0.1', 'localhost') })
    const refused = await kafkaCheck(byName)
    assert.equal(refused.ok, false)
    assert.equal(refused.code, 'kafka.tls_hostname', refused.message)
    const unchecked = await kafkaCheck({ ...byName, kafkaTlsVerifyHostname: false })
    assert.equal(unchecked.ok, true, unchecked.message)
  })

  test('a listener that requires a client certificate, without one: the TLS handshake fails', async () => {
    const kafka = await kafkaCheck(mtls({ kafkaTlsCert: '', kafkaTlsKey: '' }))
    assert.equal(kafka.ok, false)
    assert.ok(['kafka.tls_failed', 'kafka.unreachable'].includes(kafka.code), kafka.message)
  })
})

describe('Kafka secrets in the instance config', () => {
  test('sealed at rest, never returned; a changed bootstrap or SASL user needs the password again', async () => {
    const created = await api.call('POST', '/api/instances', { token, body: saslSsl() })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.kafkaSaslPasswordSet, true)
    assert.equal(created.body.kafkaTlsKeySet, false)
    assert.equal('kafkaSaslPassword' in created.body.config, false)
    const raw = await api.redis.hget(api.keys.instance('secure'), 'config')
    assert.ok(raw && !raw.includes(broker.password) && raw.includes('kafkaSaslPasswordSealed'))

    const { name: _, kafkaSaslPassword: __, ...unchanged } = saslSsl()
    const kept = await api.call('PUT', '/api/instances/secure', { token, body: { ...unchanged, commitBatch: 500 } })
    assert.equal(kept.status, 200, kept.text)
    assert.equal((await api.store.getInstance('secure'))!.config.kafkaSaslPassword, broker.password)
    // The stored password is used by Test connection of the same brokers…
    assert.equal((await kafkaCheck({ ...unchanged, name: 'secure' })).ok, true)

    // …but never sent anywhere else.
    for (const [field, value] of [['kafkaBootstrap', `127.0.0.1:${await freePort()}`], ['kafkaSaslUser', 'someone-else']] as const) {
      const moved = await api.call('PUT', '/api/instances/secure', { token, body: { ...unchanged, [field]: value } })
      assert.equal(moved.status, 400, moved.text)
      assert.deepEqual(moved.body.issues.map((i: { path: string }) => i.path), ['kafkaSaslPassword'])
      assert.match(moved.body.issues[0].message, new RegExp(`required again: ${field} changed`))
      const probe = await api.call('POST', '/api/instances/test-connection', { token, body: { ...unchanged, name: 'secure', [field]: value } })
      assert.equal(probe.status, 400, probe.text)
      assert.deepEqual(probe.body.issues.map((i: { path: string }) => i.path), ['kafkaSaslPassword'])
    }
    assert.equal((await api.store.getInstance('secure'))!.config.kafkaBootstrap, broker.saslSsl)

    const missing = await api.call('POST', '/api/instances', { token, body: { ...saslSsl(), name: 'no-password', kafkaSaslPassword: '' } })
    assert.equal(missing.status, 400)
    assert.deepEqual(missing.body.issues.map((i: { path: string }) => i.path), ['kafkaSaslPassword'])
    const halfCert = await api.call('POST', '/api/instances', { token, body: { ...mtls(), name: 'half-cert', kafkaTlsKey: '' } })
    assert.equal(halfCert.status, 400)
    assert.deepEqual(halfCert.body.issues.map((i: { path: string }) => i.path), ['kafkaTlsKey'])
    const notTls = await api.call('POST', '/api/instances', { token, body: { ...sasl('PLAIN'), name: 'not-tls', kafkaTlsCa: broker.ca } })
    assert.equal(notTls.status, 400)
    assert.deepEqual(notTls.body.issues.map((i: { path: string }) => i.path), ['kafkaTlsCa'])
    const notPem = await api.call('POST', '/api/instances', { token, body: { ...saslSsl(), name: 'not-pem', kafkaTlsCa: 'hello' } })
    assert.equal(notPem.status, 400)
    assert.deepEqual(notPem.body.issues.map((i: { path: string }) => i.path), ['kafkaTlsCa'])

    const withKey = await api.call('POST', '/api/instances', { token, body: { ...mtls(), name: 'mtls' } })
    assert.equal(withKey.status, 201, withKey.text)
    assert.equal(withKey.body.kafkaTlsKeySet, true)
    assert.ok(!(await api.redis.hget(api.keys.instance('mtls'), 'config'))!.includes(broker.clientKey.split('\n')[1]!))
  })
})

describe('loading through a secured broker', () => {
  test('SASL_SSL with SCRAM-SHA-512 and TLS with a client certificate: rows arrive, offsets are committed', async () => {
    k2s = await k2sUnderTest(await testRedisUrl(), testPrefix('kafka-security-flow'))
    await k2s.store.saveMappingEnv(mappingEnv('shop', [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }]))
    const produced = await produce(broker.bootstrap, topic, [0, 1].flatMap((partition) =>
      [1, 2, 3].map((i) => ({ partition, value: canal('INSERT', 'shop', 'orders', [{ id: String(partition * 10 + i), note: `p${partition}` }]) }))))
    assert.equal(produced.length, 6)
    const { jdbcUrl, feHttpPort } = sasl('PLAIN')
    const secured = (name: string, fields: Record<string, unknown>) =>
      instanceFor(emulator, { name, mappingEnv: 'shop', topics: [topic], kafkaBootstrap: '', ...fields, jdbcUrl: jdbcUrl as string, feHttpPort: feHttpPort as number })
    const { name: _a, passWord: _b, ...viaSasl } = saslSsl()
    const { name: _c, passWord: _d, ...viaMtls } = mtls()
    await k2s.store.saveInstance(secured('via-sasl', viaSasl))
    await k2s.store.saveInstance(secured('via-mtls', viaMtls))
    await k2s.store.startInstance('via-sasl')
    await k2s.store.startInstance('via-mtls')
    await k2s.startNode()
    for (const group of ['k2s-via-sasl', 'k2s-via-mtls']) {
      await eventually(`${group} committed every offset`, async () => {
        const committed = await committedOffsets(broker.bootstrap, group, topic)
        return committed.get(0) === 3n && committed.get(1) === 3n
      }, 60_000)
    }
    assert.deepEqual(emulator.rows('dw', 'orders').map((r) => r.id), ['1', '2', '3', '11', '12', '13'])
  })
})
