import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ensureAdminUser } from '../../api/console-users.ts'
import { adminFixture, adminPassword, type AdminFixture } from './api-fixtures.ts'

/**
 * Users and roles, sessions, cross-site requests and headers. The role walk takes every route of
 * the OpenAPI document and calls it as each role: a role below the route's x-k2s-role gets 403,
 * one at or above it never does.
 */
let api: AdminFixture
let adminToken: string
const sessionOf: Record<string, string> = {}
const rank = ['viewer', 'operator', 'admin']

before(async () => {
  api = await adminFixture('api-roles')
  adminToken = await api.login()
  for (const role of ['viewer', 'operator']) {
    const res = await api.call('POST', '/api/users', { token: adminToken, body: { name: `${role}-1`, role, password: `${role}-Passw0rd` } })
    assert.equal(res.status, 201, res.text)
    const login = await api.call('POST', '/api/login', { body: { user: `${role}-1`, password: `${role}-Passw0rd` } })
    assert.equal(login.status, 200, login.text)
    sessionOf[role] = login.body.token
  }
  sessionOf.admin = adminToken
})

after(() => api?.close())

describe('roles', () => {
  test('every route of the OpenAPI document: refused (403) below its x-k2s-role, never refused at or above it', async () => {
    const doc = (await api.call('GET', '/api/openapi.json')).body
    let walked = 0
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { security?: Record<string, unknown>[]; 'x-k2s-role'?: string }>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.security?.some((s) => 'bearer' in s)) continue
        const needed = op['x-k2s-role']
        assert.ok(needed && rank.includes(needed), `${method.toUpperCase()} ${path} has no x-k2s-role`)
        // Names that exist nowhere: the call is refused by role, or fails harmlessly past it (404/400).
        const concrete = path.replace(/\{[^}]+\}/g, 'no-such-thing')
        for (const role of rank) {
          // Logging out would end the session the walk goes on with.
          if (path === '/api/logout') continue
          const res = await api.call(method.toUpperCase(), concrete, { token: sessionOf[role], body: method === 'get' || method === 'delete' ? undefined : {} })
          const allowed = rank.indexOf(role) >= rank.indexOf(needed!)
          if (allowed) assert.notEqual(res.status, 403, `${role} ${method.toUpperCase()} ${path}: ${res.text}`)
          else {
            assert.equal(res.status, 403, `${role} ${method.toUpperCase()} ${path} needs ${needed}: ${res.status} ${res.text}`)
            assert.equal(res.body.code, 'auth.role_required')
          }
          walked++
        }
      }
    }
    assert.ok(walked > 80, `walked ${walked} calls`)
  })

  test('what each role may do, by example: viewers read, operators change, admins manage users', async () => {
    assert.equal((await api.call('GET', '/api/instances', { token: sessionOf.viewer })).status, 200)
    assert.equal((await api.call('POST', '/api/mapping-envs', { token: sessionOf.viewer, body: { name: 'v', rules: [] } })).status, 403)
    assert.equal((await api.call('POST', '/api/mapping-envs', { token: sessionOf.operator, body: { name: 'o', rules: [] } })).status, 201)
    assert.equal((await api.call('GET', '/api/users', { token: sessionOf.operator })).status, 403)
    assert.deepEqual((await api.call('GET', '/api/users', { token: adminToken })).body.users, [
      { name: 'operator-1', role: 'operator' },
      { name: 'ops', role: 'admin' },
      { name: 'viewer-1', role: 'viewer' },
    ])
    assert.deepEqual((await api.call('GET', '/api/me', { token: sessionOf.viewer })).body, { user: 'viewer-1', role: 'viewer' })
  })

  test('the last admin can be neither demoted nor removed; a bad user is a 400 naming the field', async () => {
    assert.equal((await api.call('PUT', '/api/users/ops', { token: adminToken, body: { role: 'viewer' } })).status, 409)
    assert.equal((await api.call('DELETE', '/api/users/ops', { token: adminToken })).status, 409)
    const bad = await api.call('POST', '/api/users', { token: adminToken, body: { name: 'x y', role: 'boss', password: 'short' } })
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path).sort(), ['name', 'password', 'role'])
  })

  test('a role change applies to open sessions at once; a removed user\'s sessions end', async () => {
    assert.equal((await api.call('PUT', '/api/users/viewer-1', { token: adminToken, body: { role: 'operator' } })).status, 200)
    assert.equal((await api.call('POST', '/api/mapping-envs', { token: sessionOf.viewer, body: { name: 'v2', rules: [] } })).status, 201)
    assert.equal((await api.call('DELETE', '/api/users/viewer-1', { token: adminToken })).status, 200)
    assert.equal((await api.call('GET', '/api/instances', { token: sessionOf.viewer })).status, 401)
  })
})

describe('sessions', () => {
  test("a change of the admin's password ends the sessions opened before it", async () => {
    const old = await api.login()
    assert.equal((await api.call('GET', '/api/me', { token: old })).status, 200)
    // As a restart with a new K2S_ADMIN_PASSWORD does it.
    await ensureAdminUser(api.redis, api.keys, { adminUser: 'ops', adminPassword: 'a-New-Passw0rd-42' })
    api.secret('a-New-Passw0rd-42')
    assert.equal((await api.call('GET', '/api/me', { token: old })).status, 401)
    // And through the API.
    const res = await api.call('POST', '/api/login', { body: { user: 'ops', password: 'a-New-Passw0rd-42' } })
    const fresh = res.body.token
    assert.equal((await api.call('PUT', '/api/users/ops', { token: fresh, body: { password: adminPassword } })).status, 200)
    assert.equal((await api.call('GET', '/api/me', { token: fresh })).status, 401)
    adminToken = await api.login()
  })
})

describe('cross-site requests', () => {
  test('a cookie session cannot start, stop or log out from another site, nor without JSON', async () => {
    await api.call('POST', '/api/mapping-envs', { token: adminToken, body: { name: 'csrf', rules: [] } })
    const cookie = `k2s_session=${adminToken}`
    for (const path of ['/api/instances/none/start', '/api/instances/none/stop', '/api/logout']) {
      const foreign = await api.call('POST', path, { cookie, headers: { origin: 'https://evil.example', host: 'k2s.local' } })
      assert.equal(foreign.status, 403, `${path}: ${foreign.text}`)
      const fetchSite = await api.call('POST', path, { cookie, headers: { 'sec-fetch-site': 'cross-site' } })
      assert.equal(fetchSite.status, 403)
      const form = await api.call('POST', path, { cookie, raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      assert.equal(form.status, 403)
    }
    const deleteForeign = await api.call('DELETE', '/api/mapping-envs/csrf', { cookie, headers: { origin: 'https://evil.example' } })
    assert.equal(deleteForeign.status, 403)
    // The console's own requests pass: same origin, JSON.
    const own = await api.call('DELETE', '/api/mapping-envs/csrf', { cookie, headers: { origin: 'http://k2s.local', host: 'k2s.local', 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' } })
    assert.equal(own.status, 200, own.text)
    assert.equal((await api.call('GET', '/api/me', { cookie })).status, 200, 'still logged in')
  })
})

describe('limits and headers', () => {
  test('/queues reads no body over the API limit', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024)
    const res = await api.call('PUT', '/queues/api/queues/k2s-load/pause', { token: adminToken, raw: big, headers: { 'content-type': 'application/json' } })
    assert.equal(res.status, 400, res.text.slice(0, 200))
    assert.match(res.body.error, /request body over/)
  })

  test('pages and answers carry CSP, X-Frame-Options and nosniff; the cookie is Secure over HTTPS', async () => {
    for (const path of ['/ui/', '/api/health', '/queues']) {
      const res = await api.app.request(path, { headers: { authorization: `Bearer ${adminToken}` } })
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'.*frame-ancestors 'self'|frame-ancestors 'self'.*script-src 'self'/, path)
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', path)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path)
    }
    const https = await api.app.request('https://k2s.example/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ops', password: adminPassword }) })
    assert.match(https.headers.get('set-cookie') ?? '', /; Secure/)
  })
})
