import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { consoleUsers, ensureAdminUser } from '../../api/console-users.ts'
import { redisLogSink } from '../../src/observe/log-store.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { adminFixture, nodeToken, type AdminFixture } from './api-fixtures.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/** Nodes (registration, heartbeat, online → offline), the OpenAPI document, Bull Board, first start. */
const leaseMs = 300
let api: AdminFixture
let token: string

before(async () => {
  api = await adminFixture('api-nodes', { leaseMs })
  token = await api.login()
})

after(() => api?.close())

const node = { name: 'node-a.dc1', address: '10.0.0.21', port: 8081, cluster: 'dc1', roles: ['fetcher', 'loader'], version: '0.1.0' }

let nodeKey: string | undefined

describe('nodes', () => {
  test('a node registers (again and again, with its key) and the console sees it online', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: node, headers: nodeKey ? { 'x-k2s-node-key': nodeKey } : {} })
      assert.deepEqual([res.status, res.body.name, res.body.leaseMs], [200, node.name, leaseMs])
      assert.match(res.body.nodeKey, /^[A-Za-z0-9_-]{32}$/)
      nodeKey = res.body.nodeKey
    }
    const list = await api.call('GET', '/api/nodes', { token })
    assert.equal(list.status, 200)
    assert.equal(list.body.nodes.length, 1)
    const [seen] = list.body.nodes
    assert.equal(seen.status, 'online')
    assert.deepEqual([seen.address, seen.port, seen.cluster, seen.roles, seen.version], ['10.0.0.21', 8081, 'dc1', ['fetcher', 'loader'], '0.1.0'])
    assert.ok(Math.abs(seen.lastHeartbeat - Date.now()) < 5000)
    const hash = await api.redis.hgetall(api.keys.node(node.name))
    assert.equal(hash.roles, 'fetcher,loader')
    assert.deepEqual(await api.redis.smembers(api.keys.nodes), [node.name])
  })

  test('registration input is validated, naming the field', async () => {
    const bad = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: { ...node, port: 70000, roles: ['cook'] } })
    assert.equal(bad.status, 400)
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path), ['port', 'roles.0'])
    const noName = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: { ...node, name: '../x' } })
    assert.deepEqual(noName.body.issues.map((i: { path: string }) => i.path), ['name'])
  })

  test('an online node cannot be removed; silent past its lease it is offline and can', async () => {
    const refused = await api.call('DELETE', `/api/nodes/${node.name}`, { token })
    assert.equal(refused.status, 409)
    await sleep(leaseMs + 50)
    assert.equal((await api.call('GET', '/api/nodes', { token })).body.nodes[0].status, 'offline')
    // The node holds the lease of shop; it claims other instances too, which are not recorded.
    await api.redis.set(api.keys.owner('shop'), node.name)
    const beat = await api.call('POST', `/api/nodes/${node.name}/heartbeat`, { token: nodeToken, body: { instances: ['shop', 'not-mine', 'no-such'] }, headers: { 'x-k2s-node-key': nodeKey! } })
    assert.equal(beat.status, 200)
    const back = (await api.call('GET', '/api/nodes', { token })).body.nodes[0]
    assert.deepEqual([back.status, back.instances], ['online', ['shop']])
    await sleep(leaseMs + 50)
    const removed = await api.call('DELETE', `/api/nodes/${node.name}`, { token })
    assert.deepEqual([removed.status, removed.body], [200, { deleted: node.name }])
    assert.deepEqual((await api.call('GET', '/api/nodes', { token })).body.nodes, [])
    assert.equal((await api.call('DELETE', `/api/nodes/${node.name}`, { token })).status, 404)
  })

  test('a node speaks only for itself: another process cannot take an online name or heartbeat for it; new names are limited', async () => {
    const mine = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: { ...node, name: 'own-1' } })
    assert.equal(mine.status, 200)
    const hijack = await api.call('POST', '/api/nodes/register', { token: nodeToken, body: { ...node, name: 'own-1', address: '10.6.6.6', cluster: 'evil' } })
    assert.equal(hijack.status, 409, hijack.text)
    const record = await api.redis.hgetall(api.keys.node('own-1'))
    assert.deepEqual([record.address, record.cluster], ['10.0.0.21', 'dc1'])
    assert.equal((await api.call('POST', '/api/nodes/own-1/heartbeat', { token: nodeToken, body: {} })).status, 403)
    assert.equal((await api.call('POST', '/api/nodes/own-1/heartbeat', { token: nodeToken, body: {}, headers: { 'x-k2s-node-key': 'guessed-key-0000000000000000' } })).status, 403)
    assert.equal((await api.call('POST', '/api/nodes/own-1/heartbeat', { token: nodeToken, body: {}, headers: { 'x-k2s-node-key': mine.body.nodeKey } })).status, 200)
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) statuses.push((await api.call('POST', '/api/nodes/register', { token: nodeToken, body: { ...node, name: `fake-${i}` } })).status)
    assert.ok(statuses.filter((s) => s === 200).length <= 30, `${statuses.filter((s) => s === 200).length} fake nodes registered`)
    assert.equal(statuses.at(-1), 429)
    // The next minute's window, for the tests that follow.
    await api.redis.del(api.keys.loginFailures('node-registrations'))
  })

  test('a heartbeat of an unregistered node is a 404: it must register first', async () => {
    const res = await api.call('POST', '/api/nodes/stranger/heartbeat', { token: nodeToken, body: {} })
    assert.equal(res.status, 404)
    assert.match(res.body.error, /register first/)
  })
})

describe('OpenAPI document', () => {
  test('lists every route with its schemas and security', async () => {
    const res = await api.call('GET', '/api/openapi.json')
    assert.equal(res.status, 200)
    const doc = res.body
    assert.equal(doc.openapi, '3.1.0')
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    for (const expected of [
      'POST /api/login', 'POST /api/logout', 'GET /api/health',
      'GET /api/instances', 'POST /api/instances', 'GET /api/instances/{name}', 'PUT /api/instances/{name}', 'DELETE /api/instances/{name}',
      'POST /api/instances/{name}/start', 'POST /api/instances/{name}/stop', 'GET /api/instances/{name}/status',
      'GET /api/instances/{name}/quarantine', 'GET /api/instances/{name}/quarantine/{id}', 'DELETE /api/instances/{name}/quarantine/{id}',
      'POST /api/instances/{name}/quarantine/{id}/replay',
      'GET /api/mapping-envs', 'POST /api/mapping-envs', 'GET /api/mapping-envs/{name}', 'PUT /api/mapping-envs/{name}', 'DELETE /api/mapping-envs/{name}',
      'GET /api/nodes', 'DELETE /api/nodes/{name}', 'POST /api/nodes/register', 'POST /api/nodes/{name}/heartbeat',
    ]) assert.ok(routes.includes(expected), `${expected} missing from ${routes.join(', ')}`)
    const create = doc.paths['/api/instances'].post
    const schema = create.requestBody.content['application/json'].schema
    assert.equal(schema.properties.feHttpPort.maximum, 65535)
    assert.ok(schema.required.includes('passWord'))
    assert.deepEqual(create.security, [{ bearer: [] }, { cookie: [] }])
    const view = doc.paths['/api/instances/{name}'].get.responses['200'].content['application/json'].schema
    assert.ok(!JSON.stringify(view).includes('passWord"'), 'the read schema has no password')
    assert.ok(doc.components.securitySchemes.nodeToken)
  })
})

describe('Bull Board', () => {
  test('needs a login, then serves its page and assets', async () => {
    assert.equal((await api.call('GET', '/queues')).status, 401)
    const cookie = `k2s_session=${token}`
    const page = await api.call('GET', '/queues', { cookie })
    assert.equal(page.status, 200, page.text.slice(0, 200))
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    assert.match(page.text, /K2S loads/)
    const script = /src="([^"]+\.js)"/.exec(page.text)?.[1]
    assert.ok(script, 'the page loads a script')
    const asset = await api.app.request(new URL(script, 'http://admin/queues/').pathname, { headers: { cookie } })
    assert.equal(asset.status, 200)
    assert.match(asset.headers.get('content-type') ?? '', /javascript/)
    assert.equal((await api.app.request(new URL(script, 'http://admin/queues/').pathname)).status, 401)
    const slash = await api.app.request('/queues/', { headers: { cookie } })
    assert.deepEqual([slash.status, slash.headers.get('location')], [302, '/queues'])
    const queues = await api.call('GET', '/queues/api/queues', { cookie })
    assert.equal(queues.status, 200, queues.text.slice(0, 200))
    assert.deepEqual(queues.body.queues.map((q: { name: string }) => q.name), ['k2s-load'])
  })

  test('works offline: the page asks no other host for anything, and wears the console\'s icon', async () => {
    const page = await api.call('GET', '/queues', { cookie: `k2s_session=${token}` })
    assert.equal(page.status, 200)
    assert.doesNotMatch(page.text, /fonts\.googleapis|https?:\/\/(?!www\.w3\.org)/, page.text.slice(0, 800))
    assert.match(page.text, /rel="icon"[^>]*href="\/ui\/favicon\.svg"/)
    const icon = await api.app.request('/ui/favicon.svg')
    assert.equal(icon.status, 200)
    assert.match(icon.headers.get('content-type') ?? '', /image\/svg\+xml/)
    assert.match(await (await api.app.request('/ui/')).text(), /<link rel="icon" type="image\/svg\+xml" href="favicon\.svg">/)
  })

  test('a browser sent to log in from /queues is sent back to /queues afterwards', async () => {
    const res = await api.app.request('/queues', { headers: { accept: 'text/html' } })
    assert.deepEqual([res.status, res.headers.get('location')], [302, '/ui/#/login?next=%2Fqueues'])
  })
})

describe('first start', () => {
  test('no configured password: one generated password, returned once, and it logs in', async () => {
    const redis = new Redis(await testRedisUrl())
    try {
      const keys = redisKeys(testPrefix('first-start'))
      const first = await ensureAdminUser(redis, keys, {})
      assert.equal(first.user, 'admin')
      assert.match(first.generatedPassword ?? '', /^[A-Za-z0-9_-]{24}$/)
      assert.equal(await consoleUsers(redis, keys).check('admin', first.generatedPassword!), 'admin')
      const second = await ensureAdminUser(redis, keys, {})
      assert.equal(second.generatedPassword, undefined)
      assert.ok(!JSON.stringify(await redis.hgetall(keys.consoleUsers)).includes(first.generatedPassword!))
      const configured = await ensureAdminUser(redis, keys, { adminUser: 'admin', adminPassword: 'from-config-123' })
      assert.deepEqual(configured, { user: 'admin', created: false })
      assert.equal(await consoleUsers(redis, keys).check('admin', first.generatedPassword!), null, 'the configured password replaces it')
      await assert.rejects(ensureAdminUser(redis, keys, { adminPassword: 'short' }), /at least 8/)
    } finally {
      redis.disconnect()
    }
  })
})

describe('node logs', () => {
  const logged = { ...node, name: 'node-logs' }

  before(async () => {
    assert.equal((await api.call('POST', '/api/nodes/register', { token: nodeToken, body: logged })).status, 200)
    const sink = redisLogSink(api.redis, api.keys, logged.name)
    const log = pino({ level: 'debug' }, sink.stream).child({ node: logged.name })
    log.debug('starting')
    log.info({ instance: 'shop' }, 'instance claimed')
    log.warn({ instance: 'shop', err: 'HTTP 503' }, 'stream load retrying')
    log.info('heartbeat')
    await sink.close()
  })

  test('the console reads a node\'s recent lines, newest first, by limit and minimum level', async () => {
    const all = await api.call('GET', `/api/nodes/${logged.name}/logs`, { token })
    assert.equal(all.status, 200, all.text)
    assert.equal(all.body.name, logged.name)
    assert.deepEqual(all.body.logs.map((e: { level: string; msg: string }) => [e.level, e.msg]), [['info', 'heartbeat'], ['warn', 'stream load retrying'], ['info', 'instance claimed'], ['debug', 'starting']])
    const [, retrying] = all.body.logs
    assert.deepEqual([retrying.node, retrying.instance, retrying.fields.err, typeof retrying.time], [logged.name, 'shop', 'HTTP 503', 'number'])
    const two = await api.call('GET', `/api/nodes/${logged.name}/logs?limit=2&level=info`, { token })
    assert.deepEqual(two.body.logs.map((e: { msg: string }) => e.msg), ['heartbeat', 'stream load retrying'])
    const warn = await api.call('GET', `/api/nodes/${logged.name}/logs?level=warn`, { token })
    assert.deepEqual(warn.body.logs.map((e: { msg: string }) => e.msg), ['stream load retrying'])
  })

  test('a login is required, an unknown node is a 404, a bad limit or level a 400 naming it', async () => {
    assert.equal((await api.call('GET', `/api/nodes/${logged.name}/logs`)).status, 401)
    assert.equal((await api.call('GET', `/api/nodes/${logged.name}/logs`, { token: nodeToken })).status, 403)
    const unknown = await api.call('GET', '/api/nodes/ghost/logs', { token })
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'node ghost not found'])
    for (const [query, field] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=abc', 'limit'], ['limit=2.5', 'limit'], ['level=loud', 'level']]) {
      const bad = await api.call('GET', `/api/nodes/${logged.name}/logs?${query}`, { token })
      assert.equal(bad.status, 400, `${query}: ${bad.text}`)
      assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path), [field], query)
    }
  })

  test('the OpenAPI document describes the logs routes', async () => {
    const doc = (await api.call('GET', '/api/openapi.json')).body
    for (const path of ['/api/nodes/{name}/logs', '/api/instances/{name}/logs']) {
      const get = doc.paths[path]?.get
      assert.ok(get, `${path} missing`)
      assert.deepEqual(get.security, [{ bearer: [] }, { cookie: [] }])
      assert.deepEqual(get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort(), ['path:name', 'query:level', 'query:limit'])
      assert.ok(get.responses['200'].content['application/json'].schema.properties.logs)
      assert.ok(get.responses['400'] && get.responses['404'])
    }
  })
})
