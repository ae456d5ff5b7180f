import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { adminFixture, type AdminFixture } from './api-fixtures.ts'

/**
 * Every console user changes their own password: the current one is needed (a wrong one is a 400
 * naming it, and counts towards the login limits), the old one stops working at the login, and
 * every other session of theirs ends while the one they changed it from goes on.
 */
let api: AdminFixture
let adminToken: string
const address = '203.0.113.50'

before(async () => {
  api = await adminFixture('api-own-password', { auth: { trustProxy: true } })
  adminToken = await api.login()
  for (const [name, password] of [['viewer-7', 'viewer-Old-Pa55'], ['guessed', 'guessed-Old-Pa55']]) {
    api.secret(password!)
    const res = await api.call('POST', '/api/users', { token: adminToken, body: { name, role: 'viewer', password } })
    assert.equal(res.status, 201, res.text)
  }
})

after(() => api?.close())

const login = (user: string, password: string) => api.call('POST', '/api/login', { body: { user, password }, headers: { 'x-forwarded-for': address } })
const change = (token: string, body: Record<string, unknown>) => api.call('POST', '/api/me/password', { token, body, headers: { 'x-forwarded-for': address } })
const issues = (body: { issues?: { path: string; code: string }[] }) => (body.issues ?? []).map((i) => `${i.path}: ${i.code}`)

describe('changing your own password', () => {
  test('a viewer changes theirs: the old one is refused at the login, their other sessions end, this one goes on', async () => {
    const here = (await login('viewer-7', 'viewer-Old-Pa55')).body.token
    const elsewhere = (await login('viewer-7', 'viewer-Old-Pa55')).body.token
    api.secret('viewer-New-Pa55')
    const res = await change(here, { currentPassword: 'viewer-Old-Pa55', newPassword: 'viewer-New-Pa55' })
    assert.equal(res.status, 200, res.text)
    assert.equal((await api.call('GET', '/api/me', { token: here })).status, 200, 'the session it was changed from')
    assert.equal((await api.call('GET', '/api/me', { token: elsewhere })).status, 401, 'another session of theirs')
    assert.equal((await api.call('GET', '/api/me', { token: adminToken })).status, 200, "someone else's session")
    assert.equal((await login('viewer-7', 'viewer-Old-Pa55')).status, 401)
    assert.equal((await login('viewer-7', 'viewer-New-Pa55')).status, 200)
  })

  test('a wrong current password is a 400 naming currentPassword; a short new one names newPassword; neither changes anything', async () => {
    const token = (await login('viewer-7', 'viewer-New-Pa55')).body.token
    const wrong = await change(token, { currentPassword: 'not-it-at-all', newPassword: 'another-Pa55' })
    assert.equal(wrong.status, 400, wrong.text)
    assert.deepEqual(issues(wrong.body), ['currentPassword: field.password_wrong'])
    const short = await change(token, { currentPassword: 'viewer-New-Pa55', newPassword: 'short' })
    assert.equal(short.status, 400, short.text)
    assert.deepEqual(issues(short.body), ['newPassword: field.text_too_short'])
    assert.equal((await api.call('POST', '/api/me/password', { token, body: { currentPassword: 'viewer-New-Pa55' } })).status, 400)
    assert.equal((await api.call('GET', '/api/me', { token })).status, 200)
    assert.equal((await login('viewer-7', 'viewer-New-Pa55')).status, 200)
  })

  test('wrong current passwords count towards the login limit: a stolen session is no way round it', async () => {
    const token = (await login('guessed', 'guessed-Old-Pa55')).body.token
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await change(token, { currentPassword: `guess-${i}`, newPassword: 'stolen-Pa55-word' })).status)
    assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429])
    const right = await change(token, { currentPassword: 'guessed-Old-Pa55', newPassword: 'stolen-Pa55-word' })
    assert.equal(right.status, 429)
    assert.equal(right.body.code, 'auth.login_limited')
    assert.equal((await login('guessed', 'guessed-Old-Pa55')).status, 429, 'the login from that address is blocked too')
  })
})
