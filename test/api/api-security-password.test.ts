import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { SecretBindingError } from '../../src/instances/secret-box.ts'
import { adminFixture, instanceBody, mappingBody, starrocksPassword, type AdminFixture } from './api-fixtures.ts'

/**
 * A stored StarRocks password goes only to the endpoints and user it was saved with: Test
 * connection, an update and a copy that point elsewhere must be given the password again (a 400
 * naming passWord), and a listener at the new address never hears it.
 */
let api: AdminFixture
let token: string
let listener: Server
let listenerPort: number
const heard: IncomingHttpHeaders[] = []

before(async () => {
  api = await adminFixture('api-password-binding')
  token = await api.login()
  assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop') })).status, 201)
  listener = createServer((req, res) => {
    heard.push(req.headers)
    res.end('{}')
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  listenerPort = (listener.address() as { port: number }).port
})

after(async () => {
  api?.close()
  await new Promise((resolve) => listener?.close(resolve))
})

const saved = (name: string) => instanceBody(name, { feHost: '10.255.0.1', feHttpPort: 8030, jdbcUrl: 'jdbc:mysql://10.255.0.1:9030/' })
const withoutPassword = (body: Record<string, unknown>) => {
  const { passWord: _, ...rest } = body
  return rest
}
const issuePaths = (body: { issues?: { path: string }[] }) => (body.issues ?? []).map((i) => i.path)

describe('the stored password stays bound to its endpoints and user', () => {
  test('Test connection to another FE host without the password: 400 naming passWord, and the host hears nothing', async () => {
    assert.equal((await api.call('POST', '/api/instances', { token, body: saved('bound') })).status, 201)
    const probe = await api.call('POST', '/api/instances/test-connection', {
      token,
      body: { ...withoutPassword(saved('bound')), feHost: '127.0.0.1', feHttpPort: listenerPort, jdbcUrl: `jdbc:mysql://127.0.0.1:${listenerPort}/` },
    })
    assert.equal(probe.status, 400, probe.text)
    assert.deepEqual(issuePaths(probe.body), ['passWord'])
    assert.equal(probe.body.issues[0].code, 'instance.password_rebind')
    assert.match(probe.body.issues[0].message, /feHost/)
    // Only the user changed: still refused.
    const otherUser = await api.call('POST', '/api/instances/test-connection', { token, body: { ...withoutPassword(saved('bound')), userName: 'someone' } })
    assert.deepEqual(issuePaths(otherUser.body), ['passWord'])
    assert.equal(heard.length, 0, 'the listener received a request')
  })

  test('an update that changes feHost, feHttpPort, jdbcUrl or userName needs the password again', async () => {
    for (const change of [{ feHost: '127.0.0.1' }, { feHttpPort: listenerPort }, { jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/' }, { userName: 'other' }]) {
      const res = await api.call('PUT', '/api/instances/bound', { token, body: { ...withoutPassword(saved('bound')), ...change } })
      assert.equal(res.status, 400, `${JSON.stringify(change)}: ${res.text}`)
      assert.deepEqual(issuePaths(res.body), ['passWord'])
    }
    assert.equal((await api.store.viewInstance('bound'))?.config.feHost, '10.255.0.1', 'the refused update changed nothing')
    // Other fields change freely and the password stays.
    const batch = await api.call('PUT', '/api/instances/bound', { token, body: { ...withoutPassword(saved('bound')), commitBatch: 500 } })
    assert.equal(batch.status, 200, batch.text)
    assert.equal((await api.store.getInstance('bound'))?.config.passWord, starrocksPassword)
    // With the password the move is allowed.
    const moved = await api.call('PUT', '/api/instances/bound', { token, body: { ...saved('bound'), feHost: '10.255.0.2', passWord: 'new-Secret-for-2' } })
    api.secret('new-Secret-for-2')
    assert.equal(moved.status, 200, moved.text)
    assert.equal((await api.store.getInstance('bound'))?.config.passWord, 'new-Secret-for-2')
  })

  test('a copy to other endpoints needs the password; a plain copy keeps it', async () => {
    const elsewhere = await api.call('POST', '/api/instances/bound/copy', { token, body: { name: 'bound-elsewhere', feHost: '127.0.0.1', feHttpPort: listenerPort } })
    assert.equal(elsewhere.status, 400, elsewhere.text)
    assert.deepEqual(issuePaths(elsewhere.body), ['passWord'])
    assert.equal(await api.store.viewInstance('bound-elsewhere'), null)
    const same = await api.call('POST', '/api/instances/bound/copy', { token, body: { name: 'bound-copy' } })
    assert.equal(same.status, 201, same.text)
    assert.equal((await api.store.getInstance('bound-copy'))?.config.passWord, 'new-Secret-for-2')
    const given = await api.call('POST', '/api/instances/bound/copy', { token, body: { name: 'bound-given', feHost: '10.255.0.9', passWord: 'third-Secret-333' } })
    api.secret('third-Secret-333')
    assert.equal(given.status, 201, given.text)
    assert.equal((await api.store.getInstance('bound-given'))?.config.passWord, 'third-Secret-333')
  })

  test('a config changed behind the API (in Redis) cannot open the password for its new host', async () => {
    const key = api.keys.instance('bound-copy')
    const config = JSON.parse((await api.redis.hget(key, 'config'))!)
    await api.redis.hset(key, 'config', JSON.stringify({ ...config, feHost: '127.0.0.1' }))
    await assert.rejects(api.store.getInstance('bound-copy'), SecretBindingError)
  })
})
