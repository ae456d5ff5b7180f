import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { redisLogSink } from '../../src/observe/log-store.ts'
import { adminFixture, adminPassword, instanceBody, mappingBody, nodeToken, starrocksPassword, type AdminFixture } from './api-fixtures.ts'

/** The admin API: login, who may call what, instances and mapping environments, error shapes. */
let api: AdminFixture
let token: string

before(async () => {
  api = await adminFixture('api')
  token = await api.login()
})

after(() => api?.close())

const protectedRoutes: [string, string][] = [
  ['GET', '/api/me'],
  ['POST', '/api/logout'],
  ['GET', '/api/instances'],
  ['POST', '/api/instances'],
  ['GET', '/api/instances/shop'],
  ['PUT', '/api/instances/shop'],
  ['DELETE', '/api/instances/shop'],
  ['POST', '/api/instances/shop/start'],
  ['POST', '/api/instances/shop/stop'],
  ['GET', '/api/instances/shop/status'],
  ['GET', '/api/instances/shop/quarantine'],
  ['GET', '/api/instances/shop/quarantine/x'],
  ['DELETE', '/api/instances/shop/quarantine/x'],
  ['POST', '/api/instances/shop/quarantine/x/replay'],
  ['GET', '/api/mapping-envs'],
  ['POST', '/api/mapping-envs'],
  ['GET', '/api/mapping-envs/shop'],
  ['PUT', '/api/mapping-envs/shop'],
  ['DELETE', '/api/mapping-envs/shop'],
  ['GET', '/api/nodes'],
  ['DELETE', '/api/nodes/n1'],
  ['GET', '/queues'],
  ['GET', '/queues/api/queues'],
  ['GET', '/metrics'],
  ['GET', '/api/no-such-route'],
]

const issuePaths = (body: { issues?: { path: string }[] }) => (body.issues ?? []).map((i) => i.path)

describe('login and who may call what', () => {
  test('a right password gives a token, in the answer and as an HttpOnly cookie', async () => {
    const res = await api.call('POST', '/api/login', { body: { user: 'ops', password: adminPassword } })
    assert.equal(res.status, 200)
    assert.match(res.body.token, /^[A-Za-z0-9_-]{40,}$/)
    assert.equal(res.body.user, 'ops')
    const cookie = res.headers.get('set-cookie') ?? ''
    assert.match(cookie, new RegExp(`^k2s_session=${res.body.token};`))
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Strict/)
    const me = await api.call('GET', '/api/me', { cookie: `k2s_session=${res.body.token}` })
    assert.deepEqual([me.status, me.body], [200, { user: 'ops', role: 'admin' }])
  })

  test('a wrong password or an unknown user is a 401; a missing field a 400', async () => {
    const wrong = await api.call('POST', '/api/login', { body: { user: 'ops', password: 'guess-guess' } })
    assert.deepEqual([wrong.status, wrong.body], [401, { error: 'wrong user or password' }])
    const unknown = await api.call('POST', '/api/login', { body: { user: 'nobody', password: adminPassword } })
    assert.deepEqual([unknown.status, unknown.body], [401, { error: 'wrong user or password' }])
    const missing = await api.call('POST', '/api/login', { body: { user: 'ops' } })
    assert.equal(missing.status, 400)
    assert.deepEqual(issuePaths(missing.body), ['password'])
  })

  test('every protected route answers 401 JSON without a valid login', async () => {
    for (const [method, path] of protectedRoutes) {
      for (const opts of [{}, { token: 'not-a-real-token-0000000000000000000000000' }, { cookie: 'k2s_session=forged-forged-forged-forged-forged' }]) {
        const res = await api.call(method, path, opts)
        assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(opts)}: ${res.status} ${res.text}`)
        assert.equal(res.body.error, 'login required')
      }
    }
  })

  test('health and the OpenAPI document need no login', async () => {
    assert.deepEqual((await api.call('GET', '/api/health')).body, { status: 'ok' })
    assert.equal((await api.app.request('/api/health', { method: 'HEAD' })).status, 200)
    assert.equal((await api.call('GET', '/api/openapi.json')).status, 200)
  })

  test('the node token may register and heartbeat, nothing else; a console login may not register', async () => {
    for (const [method, path] of protectedRoutes) {
      const res = await api.call(method, path, { token: nodeToken })
      assert.equal(res.status, 403, `${method} ${path}: ${res.status} ${res.text}`)
    }
    const node = { name: 'n1', address: '10.0.0.9', port: 8081, roles: ['fetcher'] }
    const registered = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: node })
    assert.equal(registered.status, 200)
    assert.equal((await api.call('POST', '/api/nodes/n1/heartbeat', { token: nodeToken, body: {}, headers: { 'x-k2s-node-key': registered.body.nodeKey } })).status, 200)
    assert.equal((await api.call('POST', '/api/nodes/register', { token, body: node })).status, 401)
    assert.equal((await api.call('POST', '/api/nodes/n1/heartbeat', { body: {} })).status, 401)
  })

  test('logout ends the session', async () => {
    const own = await api.login()
    assert.equal((await api.call('POST', '/api/logout', { token: own })).status, 200)
    assert.equal((await api.call('GET', '/api/me', { token: own })).status, 401)
    assert.equal((await api.call('GET', '/api/me', { token })).status, 200, 'other sessions stay')
  })

  test('Redis holds neither the console password nor a session token in clear', async () => {
    const keys = await api.redis.keys(`${api.keys.prefix}:*`)
    for (const key of keys) {
      const type = await api.redis.type(key)
      const value = type === 'hash' ? await api.redis.hgetall(key) : type === 'set' ? await api.redis.smembers(key) : type === 'string' ? await api.redis.get(key) : ''
      const dump = JSON.stringify(value)
      assert.ok(!dump.includes(adminPassword) && !dump.includes(token) && !dump.includes(starrocksPassword), `${key} holds a secret`)
    }
  })
})

describe('instances', () => {
  before(async () => {
    const res = await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop') })
    assert.equal(res.status, 201, res.text)
  })

  test('create, then read the config without the password', async () => {
    const created = await api.call('POST', '/api/instances', { token, body: instanceBody('shop', { consumerPolicy: 'weird' }) })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.passWordSet, true)
    assert.equal(created.body.desired, 'stopped')
    assert.equal(created.body.config.consumerPolicy, 'E-C')
    const read = await api.call('GET', '/api/instances/shop', { token })
    assert.equal(read.status, 200)
    assert.ok(!('passWord' in read.body.config) && !('passWordSealed' in read.body.config))
    assert.ok(!/pass_?word"\s*:/i.test(read.text), 'no password field at all')
    assert.equal(read.body.config.feHttpPort, 8030)
    assert.equal((await api.store.getInstance('shop'))?.config.passWord, starrocksPassword)
  })

  test('a second instance of the same name is a 409', async () => {
    const res = await api.call('POST', '/api/instances', { token, body: instanceBody('shop') })
    assert.deepEqual([res.status, res.body], [409, { error: 'instance shop already exists' }])
  })

  test('invalid input is a 400 naming each bad field', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ feHttpPort: 70000 }, ['feHttpPort']],
      [{ feHttpPort: '8030' }, ['feHttpPort']],
      [{ topics: [] }, ['topics']],
      [{ kafkaBootstrap: 'no-port' }, ['kafkaBootstrap']],
      [{ jdbcUrl: 'jdbc:mysql://h:9030/db' }, ['jdbcUrl']],
      [{ name: 'bad name!' }, ['name']],
      [{ commitBatch: 0, commitTimeout: 'soon' }, ['commitBatch', 'commitTimeout']],
      [{ userName: undefined }, ['userName']],
      [{ topics: ['ok', 'bad topic'] }, ['topics.1']],
      [{ stallAfterMs: 10 }, ['stallAfterMs']],
      [{ stallAfterMs: 'a minute' }, ['stallAfterMs']],
    ]
    for (const [overrides, paths] of cases) {
      const res = await api.call('POST', '/api/instances', { token, body: instanceBody('other', overrides) })
      assert.equal(res.status, 400, `${JSON.stringify(overrides)}: ${res.text}`)
      assert.equal(res.body.error, 'invalid input')
      assert.deepEqual(issuePaths(res.body), paths, JSON.stringify(overrides))
      assert.ok(res.body.issues.every((i: { message: string }) => i.message.length > 0))
    }
    const noEnv = await api.call('POST', '/api/instances', { token, body: instanceBody('other', { mappingEnv: 'nope' }) })
    assert.equal(noEnv.status, 400)
    assert.deepEqual(issuePaths(noEnv.body), ['mappingEnv'])
    assert.equal((await api.call('GET', '/api/instances/other', { token })).status, 404)
  })

  test('malformed JSON, a non-object body and a wrong content type are 400s, not 500s', async () => {
    const broken = await api.call('POST', '/api/instances', { token, raw: '{"name": "x",' })
    assert.equal(broken.status, 400, broken.text)
    assert.equal(typeof broken.body.error, 'string')
    const array = await api.call('POST', '/api/instances', { token, body: [1, 2] })
    assert.equal(array.status, 400, array.text)
    const text = await api.call('POST', '/api/instances', { token, raw: 'name=x', headers: { 'content-type': 'text/plain' } })
    assert.equal(text.status, 400, text.text)
    const empty = await api.call('PUT', '/api/instances/shop', { token })
    assert.equal(empty.status, 400, empty.text)
    const tooBig = await api.call('POST', '/api/mapping-envs', { token, body: { ...mappingBody('huger', []), description: 'x'.repeat(1_100_000) } })
    assert.deepEqual([tooBig.status, tooBig.body], [400, { error: 'request body over 1048576 bytes' }])
  })

  test('unknown names are 404 on every instance route', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/instances/ghost', undefined],
      ['PUT', '/api/instances/ghost', instanceBody('ghost')],
      ['DELETE', '/api/instances/ghost', undefined],
      ['POST', '/api/instances/ghost/start', undefined],
      ['POST', '/api/instances/ghost/stop', undefined],
      ['GET', '/api/instances/ghost/status', undefined],
      ['GET', '/api/instances/ghost/quarantine', undefined],
    ] as const) {
      const res = await api.call(method, path, { token, body })
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`)
      assert.match(res.body.error, /not found/)
    }
  })

  test('an update without passWord keeps the stored one; with one, replaces it', async () => {
    const { passWord: _, ...withoutPassword } = instanceBody('shop', { commitBatch: 500 })
    const kept = await api.call('PUT', '/api/instances/shop', { token, body: withoutPassword })
    assert.equal(kept.status, 200, kept.text)
    assert.equal(kept.body.config.commitBatch, 500)
    assert.equal((await api.store.getInstance('shop'))?.config.passWord, starrocksPassword)
    const next = 'another-Secret-pw-42'
    api.secret(next)
    const changed = await api.call('PUT', '/api/instances/shop', { token, body: { ...withoutPassword, passWord: next } })
    assert.equal(changed.status, 200)
    assert.equal((await api.store.getInstance('shop'))?.config.passWord, next)
    const renamed = await api.call('PUT', '/api/instances/shop', { token, body: { ...withoutPassword, name: 'other' } })
    assert.deepEqual([renamed.status, issuePaths(renamed.body)], [400, ['name']])
    const typo = await api.call('PUT', '/api/instances/shop', { token, body: { ...withoutPassword, password: 'meant-to-change' } })
    assert.deepEqual([typo.status, typo.body.issues], [400, [{ path: 'password', code: 'field.unknown', params: {}, message: 'unknown field' }]])
    const badPort = await api.call('PUT', '/api/instances/shop', { token, body: { ...withoutPassword, feHttpPort: 0 } })
    assert.deepEqual([badPort.status, issuePaths(badPort.body)], [400, ['feHttpPort']])
  })

  test('start and stop flip the desired state; a running instance cannot be deleted', async () => {
    const started = await api.call('POST', '/api/instances/shop/start', { token })
    assert.deepEqual([started.status, started.body], [200, { name: 'shop', desired: 'running' }])
    assert.equal((await api.store.getInstance('shop'))?.desired, 'running')
    const list = await api.call('GET', '/api/instances', { token })
    assert.equal(list.body.instances.find((i: { name: string }) => i.name === 'shop').desired, 'running')
    const refused = await api.call('DELETE', '/api/instances/shop', { token })
    assert.equal(refused.status, 409)
    assert.match(refused.body.error, /running/)
    const stopped = await api.call('POST', '/api/instances/shop/stop', { token })
    assert.deepEqual(stopped.body, { name: 'shop', desired: 'stopped' })
    assert.equal((await api.store.getInstance('shop'))?.desired, 'stopped')
  })

  test('status and list show health, counters and skipped source tables', async () => {
    await api.activity.count('shop', { loadedRows: 7, 'skipped.unmapped': 2 }, { 'shop.audit:unmapped': 2 })
    await api.activity.failing('shop', 'stream load dw.orders: HTTP 503')
    const status = await api.call('GET', '/api/instances/shop/status', { token })
    assert.equal(status.status, 200)
    assert.equal(status.body.health.state, 'retrying')
    assert.equal(status.body.health.reason, 'stream load dw.orders: HTTP 503')
    assert.equal(status.body.counters.loadedRows, 7)
    assert.deepEqual(status.body.skippedBySource, { 'shop.audit:unmapped': 2 })
    assert.equal(status.body.quarantined, 0)
    const list = await api.call('GET', '/api/instances', { token })
    const shop = list.body.instances.find((i: { name: string }) => i.name === 'shop')
    assert.equal(shop.counters.loadedRows, 7)
    assert.equal(shop.health.state, 'retrying')
    assert.equal(shop.mappingEnv, 'shop')
  })
})

describe('mapping environments', () => {
  const rules = [
    { sourceDatabase: 'shop', sourceTable: 'order_\\d+', targetDatabase: 'dw', targetTable: 'orders' },
    { sourceDatabase: 'shop', sourceTable: 'users', targetDatabase: 'dw', targetTable: 'customers', deleteMode: 'soft', softDeleteColumn: 'is_deleted' },
    { sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' },
  ]

  test('rules keep the order they were sent in, on create and on update', async () => {
    const created = await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('erp', rules) })
    assert.equal(created.status, 201, created.text)
    const read = await api.call('GET', '/api/mapping-envs/erp', { token })
    assert.deepEqual(read.body.rules.map((r: { sourceTable: string }) => r.sourceTable), ['order_\\d+', 'users', '.*'])
    assert.equal(read.body.rules[2].targetTable, '${table}')
    const reordered = await api.call('PUT', '/api/mapping-envs/erp', { token, body: { description: 'new order', rules: [rules[2], rules[0]] } })
    assert.equal(reordered.status, 200, reordered.text)
    const again = await api.call('GET', '/api/mapping-envs/erp', { token })
    assert.deepEqual(again.body.rules.map((r: { sourceTable: string }) => r.sourceTable), ['.*', 'order_\\d+'])
    assert.equal(again.body.description, 'new order')
    const list = await api.call('GET', '/api/mapping-envs', { token })
    assert.deepEqual(list.body.mappingEnvs.map((e: { name: string }) => e.name), ['erp', 'shop'])
  })

  test('a bad regex, template or soft delete is a 400 naming the rule field', async () => {
    const cases: [Record<string, unknown>[], string[]][] = [
      [[rules[0]!, { ...rules[2], sourceTable: 'order_(\\d+' }], ['rules.1.sourceTable']],
      [[{ ...rules[0], targetTable: 'orders_${9}' }], ['rules.0.targetTable']],
      [[{ ...rules[0], deleteMode: 'soft' }], ['rules.0.softDeleteColumn']],
      [[{ ...rules[0], deleteMode: 'sometimes' }], ['rules.0.deleteMode']],
      [[rules[0]!, { ...rules[1], deletemode: 'hard' }], ['rules.1.deletemode']],
    ]
    for (const [bad, paths] of cases) {
      const res = await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('broken', bad) })
      assert.equal(res.status, 400, res.text)
      assert.deepEqual(issuePaths(res.body), paths)
      const put = await api.call('PUT', '/api/mapping-envs/erp', { token, body: { rules: bad } })
      assert.deepEqual([put.status, issuePaths(put.body)], [400, paths])
    }
    assert.equal((await api.call('GET', '/api/mapping-envs/broken', { token })).status, 404)
    assert.equal((await api.call('GET', '/api/mapping-envs/erp', { token })).body.rules.length, 2, 'a refused update changes nothing')
  })

  test('duplicates are 409, unknown names 404', async () => {
    assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('erp') })).status, 409)
    assert.equal((await api.call('GET', '/api/mapping-envs/ghost', { token })).status, 404)
    assert.equal((await api.call('PUT', '/api/mapping-envs/ghost', { token, body: mappingBody('ghost') })).status, 404)
    assert.equal((await api.call('DELETE', '/api/mapping-envs/ghost', { token })).status, 404)
  })

  test('an environment in use cannot be deleted; once unused it can', async () => {
    assert.equal((await api.call('POST', '/api/instances', { token, body: instanceBody('erp1', { mappingEnv: 'erp' }) })).status, 201)
    const refused = await api.call('DELETE', '/api/mapping-envs/erp', { token })
    assert.deepEqual([refused.status, refused.body], [409, { error: 'mapping environment erp is used by erp1' }])
    const list = await api.call('GET', '/api/mapping-envs', { token })
    assert.deepEqual(list.body.mappingEnvs.find((e: { name: string }) => e.name === 'erp').usedBy, ['erp1'])
    assert.equal((await api.call('DELETE', '/api/instances/erp1', { token })).status, 200)
    assert.equal((await api.call('GET', '/api/instances/erp1', { token })).status, 404)
    assert.deepEqual((await api.call('DELETE', '/api/mapping-envs/erp', { token })).body, { deleted: 'erp' })
    assert.equal((await api.call('GET', '/api/mapping-envs/erp', { token })).status, 404)
  })
})

describe('instance logs', () => {
  before(async () => {
    assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('logs-env') })).status, 201)
    assert.equal((await api.call('POST', '/api/instances', { token, body: instanceBody('logged', { mappingEnv: 'logs-env' }) })).status, 201)
    // Two nodes ran the instance one after the other; one line names another instance.
    for (const [node, lines] of [['node-1', ['claimed', 'lease lost']], ['node-2', ['claimed again']]] as const) {
      const sink = redisLogSink(api.redis, api.keys, node)
      const log = pino({ level: 'info' }, sink.stream).child({ node })
      for (const msg of lines) log.info({ instance: 'logged' }, msg)
      log.error({ instance: 'other' }, 'not this one')
      await sink.close()
    }
    const sink = redisLogSink(api.redis, api.keys, 'node-2')
    pino({ level: 'info' }, sink.stream).child({ instance: 'logged' }).warn('load slow')
    await sink.close()
  })

  test('lines naming the instance, from every node, newest first', async () => {
    const res = await api.call('GET', '/api/instances/logged/logs', { token })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.name, 'logged')
    assert.deepEqual(res.body.logs.map((e: { node: string; msg: string }) => [e.node, e.msg]), [['node-2', 'load slow'], ['node-2', 'claimed again'], ['node-1', 'lease lost'], ['node-1', 'claimed']])
    assert.ok(res.body.logs.every((e: { instance: string }) => e.instance === 'logged'))
    const limited = await api.call('GET', '/api/instances/logged/logs?limit=1', { token })
    assert.deepEqual(limited.body.logs.map((e: { msg: string }) => e.msg), ['load slow'])
    const warn = await api.call('GET', '/api/instances/logged/logs?level=warn', { token })
    assert.deepEqual(warn.body.logs.map((e: { level: string }) => e.level), ['warn'])
  })

  test('a login is required, an unknown instance is a 404, a bad limit or level a 400 naming it', async () => {
    for (const opts of [{}, { token: 'not-a-real-token-0000000000000000000000000' }]) {
      const res = await api.call('GET', '/api/instances/logged/logs', opts)
      assert.deepEqual([res.status, res.body.error], [401, 'login required'])
    }
    assert.equal((await api.call('GET', '/api/instances/logged/logs', { token: nodeToken })).status, 403)
    const unknown = await api.call('GET', '/api/instances/ghost/logs', { token })
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'instance ghost not found'])
    assert.equal((await api.call('GET', '/api/instances/other/logs', { token })).status, 404, 'lines alone do not make an instance')
    for (const [query, field] of [['limit=0', 'limit'], ['limit=5000', 'limit'], ['limit=', 'limit'], ['level=trace', 'level']]) {
      const bad = await api.call('GET', `/api/instances/logged/logs?${query}`, { token })
      assert.equal(bad.status, 400, `${query}: ${bad.text}`)
      assert.deepEqual(issuePaths(bad.body), [field], query)
    }
  })
})
