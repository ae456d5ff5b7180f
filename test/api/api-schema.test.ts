import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { schemaHolds, type SchemaHold } from '../../src/instances/schema-holds.ts'
import { adminFixture, instanceBody, mappingBody, type AdminFixture } from './api-fixtures.ts'

/** Schema evolution over the API: held tables with their message code, drift per table, resume, /metrics. */
let api: AdminFixture
let token: string

const hold: SchemaHold = {
  table: 'dw.orders',
  kind: 'ddl',
  code: 'schema.narrowing',
  message: 'changing qty of dw.orders from BIGINT to SMALLINT is not a widening; K2S does not narrow or convert a column',
  params: { table: 'dw.orders', column: 'qty', from: 'BIGINT', to: 'SMALLINT' },
  topic: 'shop',
  partition: 0,
  offset: '41',
  ddl: '0/shop/0/41/dw.orders',
  sql: 'ALTER TABLE orders MODIFY qty smallint',
  at: '2026-12-03T08:00:00.000Z',
}

before(async () => {
  api = await adminFixture('api-schema')
  token = await api.login()
  assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop', [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw', schemaChange: 'apply' }]) })).status, 201)
  assert.equal((await api.call('POST', '/api/instances', { token, body: instanceBody('shop') })).status, 201)
  const holds = schemaHolds(api.redis, api.keys)
  await holds.hold('shop', hold)
  await holds.countDrift('shop', { 'dw.users': { rows: 3, columns: ['nickname'] } })
})

after(() => api?.close())

describe('schema holds and drift', () => {
  test('status and GET …/schema show the held table with its code, params and reason, and drift per table', async () => {
    const status = await api.call('GET', '/api/instances/shop/status', { token })
    assert.equal(status.status, 200, status.text)
    assert.equal(status.body.schemaHeld, 1)
    assert.deepEqual(status.body.schema, { held: [hold], drift: { 'dw.users': { rows: 3, columns: ['nickname'] } } })
    const list = await api.call('GET', '/api/instances', { token })
    assert.equal(list.body.instances[0].schemaHeld, 1)
    const schema = await api.call('GET', '/api/instances/shop/schema', { token })
    assert.deepEqual(schema.body, { name: 'shop', held: [hold], drift: { 'dw.users': { rows: 3, columns: ['nickname'] } } })
  })

  test('/metrics has drift rows per table and held tables per instance', async () => {
    const res = await api.call('GET', '/metrics', { token })
    assert.match(res.text, /\nk2s_instance_schema_drift_rows_total\{instance="shop",table="dw.users"\} 3\n/)
    assert.match(res.text, /\nk2s_instance_tables_held\{instance="shop"\} 1\n/)
  })

  test('resume: a bad table name is a 400, a table not held a 404; a held DDL counts as done afterwards', async () => {
    assert.equal((await api.call('POST', '/api/instances/shop/schema/held/orders/resume', { token })).status, 400)
    assert.equal((await api.call('POST', '/api/instances/shop/schema/held/dw.nothing/resume', { token })).status, 404)
    assert.equal((await api.call('POST', '/api/instances/nobody/schema/held/dw.orders/resume', { token })).status, 404)
    const res = await api.call('POST', '/api/instances/shop/schema/held/dw.orders/resume', { token })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.body, { resumed: hold, jobsWoken: 0 })
    assert.equal(await schemaHolds(api.redis, api.keys).ddlDone('shop', hold.ddl!), 'resumed')
    assert.deepEqual((await api.call('GET', '/api/instances/shop/schema', { token })).body.held, [])
  })

  test('a rule: schemaChange must be ignore, apply or pause; autoCreate needs apply (400 naming the field)', async () => {
    const bad = await api.call('PUT', '/api/mapping-envs/shop', { token, body: mappingBody('shop', [{ sourceDatabase: 'shop', sourceTable: '.*', schemaChange: 'evolve' }]) })
    assert.equal(bad.status, 400)
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path), ['rules.0.schemaChange'])
    const create = await api.call('PUT', '/api/mapping-envs/shop', { token, body: mappingBody('shop', [{ sourceDatabase: 'shop', sourceTable: '.*', autoCreate: true }]) })
    assert.equal(create.status, 400)
    assert.deepEqual(create.body.issues.map((i: { path: string }) => i.path), ['rules.0.autoCreate'])
  })
})
