import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { adminFixture, instanceBody, type AdminFixture } from './api-fixtures.ts'
import { canal, canalDdl } from '../harness/canal-fixtures.ts'
import { debezium, debeziumKey, debeziumTransaction, maxwell, maxwellKey } from '../harness/cdc-fixtures.ts'
import { freePort } from '../harness/free-port.ts'
import { createTopic } from '../harness/kafka-helpers.ts'
import { testKafkaBootstrap } from '../harness/kafka-broker.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'

/**
 * What the console's pages need from the API beyond CRUD: Test connection (per part, never the
 * password), copying an instance, the mapping preview, and the console's own files.
 */
const loaderPassword = 'loader-Pa55-console-api'
let api: AdminFixture
let token: string
let kafka: string
let emulator: StarRocksEmulator
const topic = 'console-api-orders'

before(async () => {
  kafka = await testKafkaBootstrap()
  await createTopic(kafka, topic, 3)
  emulator = await startStarRocksEmulator({ users: { root: '', loader: loaderPassword } })
  await emulator.execute('CREATE DATABASE dw')
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, amount DECIMAL(10,2)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  api = await adminFixture('api-console')
  api.secret(loaderPassword)
  token = await api.login()
  assert.equal((await api.call('POST', '/api/mapping-envs', { token, body: { name: 'shop', title: 'Shop', rules: [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw', excludeColumns: ['secret'] }] } })).status, 201)
})

after(async () => {
  api?.close()
  await emulator?.close()
})

const target = (overrides: Record<string, unknown> = {}) =>
  instanceBody('orders', {
    kafkaBootstrap: kafka,
    topics: [topic],
    jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`,
    feHttpPort: emulator.feHttpPort,
    userName: 'loader',
    passWord: loaderPassword,
    ...overrides,
  })

test('test connection: every part answers, with the topics and their partitions', async () => {
  const res = await api.call('POST', '/api/instances/test-connection', { token, body: target() })
  assert.equal(res.status, 200, res.text)
  assert.equal(res.body.ok, true)
  assert.deepEqual(res.body.kafka.topics, [{ name: topic, exists: true, partitions: 3 }])
  assert.equal(res.body.mysql.ok, true)
  assert.equal(res.body.feHttp.ok, true)
  assert.deepEqual([res.body.kafka.code, res.body.kafka.params], ['kafka.connected', { topics: `${topic}: 3` }])
})

test('test connection: says which part failed and why', async () => {
  const wrong = await api.call('POST', '/api/instances/test-connection', { token, body: target({ passWord: 'not-the-password', topics: [topic, 'no-such-topic'] }) })
  assert.equal(wrong.status, 200, wrong.text)
  assert.equal(wrong.body.ok, false)
  assert.equal(wrong.body.kafka.ok, false)
  assert.match(wrong.body.kafka.message, /no topic named no-such-topic/)
  assert.deepEqual([wrong.body.kafka.code, wrong.body.kafka.params], ['kafka.topics_missing', { topics: 'no-such-topic' }])
  assert.deepEqual(wrong.body.kafka.topics.map((t: { exists: boolean }) => t.exists), [true, false])
  assert.equal(wrong.body.mysql.ok, false)
  assert.match(wrong.body.mysql.message, /Access denied for user 'loader'/)
  assert.equal(wrong.body.feHttp.ok, false)
  assert.match(wrong.body.feHttp.message, /refused user loader/)
  assert.deepEqual([wrong.body.feHttp.code, wrong.body.feHttp.params], ['check.fe_refused', { user: 'loader', status: 401 }])
  assert.equal(wrong.body.mysql.code, 'check.error')
  assert.ok(!wrong.text.includes('not-the-password'))

  const closed = await freePort()
  const down = await api.call('POST', '/api/instances/test-connection', { token, body: target({ kafkaBootstrap: `127.0.0.1:${closed}`, feHttpPort: closed }) })
  assert.equal(down.body.kafka.ok, false)
  // The part's name is beside the message in the console: the message does not say it again.
  assert.equal(down.body.kafka.message, `unreachable: Kafka at 127.0.0.1:${closed} did not answer (ECONNREFUSED)`)
  assert.deepEqual([down.body.kafka.code, down.body.kafka.params], ['kafka.unreachable', { bootstrap: `127.0.0.1:${closed}`, reason: 'ECONNREFUSED' }])
  assert.deepEqual([down.body.feHttp.code, down.body.feHttp.params.detail], ['check.error', down.body.feHttp.message])
  assert.equal(down.body.mysql.ok, true)
  assert.equal(down.body.feHttp.ok, false)
  assert.match(down.body.feHttp.message, /^connect ECONNREFUSED/)
})

test('test connection: a password like 0 or 9092 masks nothing the user typed and reveals none of its characters', async () => {
  const closed = await freePort()
  for (const passWord of ['0', String(closed), '9092', '127.0.0.1']) {
    const down = await api.call('POST', '/api/instances/test-connection', { token, body: target({ kafkaBootstrap: `127.0.0.1:${closed}`, feHttpPort: closed, passWord }) })
    assert.equal(down.status, 200, down.text)
    assert.equal(down.body.kafka.message, `unreachable: Kafka at 127.0.0.1:${closed} did not answer (ECONNREFUSED)`, passWord)
    assert.match(down.body.feHttp.message, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${closed}$`), passWord)
    assert.ok(!down.text.includes('***'), down.text)
  }
})

test("test connection: the seed's JDBC URL with a query string works, and useSSL=true is really asked for", async () => {
  const seed = await api.call('POST', '/api/instances/test-connection', { token, body: target({ jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/?useSSL=false&serverTimezone=GMT` }) })
  assert.equal(seed.body.mysql.ok, true, seed.text)
  // The emulator speaks no TLS, like a StarRocks without it: asking for TLS must fail, not quietly go plain.
  const tls = await api.call('POST', '/api/instances/test-connection', { token, body: target({ jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/?useSSL=true` }) })
  assert.equal(tls.body.mysql.ok, false, tls.text)
  assert.equal(tls.body.mysql.message, 'Server does not support secure connection')
})

test('test connection: an existing instance uses its stored password; a new one must send one', async () => {
  assert.equal((await api.call('POST', '/api/instances', { token, body: target() })).status, 201)
  const { passWord: _, ...withoutPassword } = target()
  const stored = await api.call('POST', '/api/instances/test-connection', { token, body: withoutPassword })
  assert.equal(stored.body.mysql.ok, true, stored.text)
  const fresh = await api.call('POST', '/api/instances/test-connection', { token, body: { ...withoutPassword, name: 'not-saved' } })
  assert.equal(fresh.status, 400)
  assert.deepEqual(fresh.body.issues.map((i: { path: string }) => i.path), ['passWord'])
  const bad = await api.call('POST', '/api/instances/test-connection', { token, body: target({ feHttpPort: 0 }) })
  assert.equal(bad.status, 400)
  assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path), ['feHttpPort'])
})

test('copy: a stopped instance under the new name, password included; an existing name is a 409', async () => {
  await api.call('POST', '/api/instances/orders/start', { token })
  const copy = await api.call('POST', '/api/instances/orders/copy', { token, body: { name: 'orders-2' } })
  assert.equal(copy.status, 201, copy.text)
  assert.equal(copy.body.config.name, 'orders-2')
  assert.equal(copy.body.desired, 'stopped')
  assert.equal(copy.body.passWordSet, true)
  // "Modified" on the Instances page.
  const listed = (await api.call('GET', '/api/instances', { token })).body.instances
  const modified = new Map(listed.map((i: { name: string; updatedAt: string }) => [i.name, Date.parse(i.updatedAt)]))
  assert.ok(Math.abs(Date.now() - (modified.get('orders-2') as number)) < 60_000, listed)
  assert.ok((modified.get('orders-2') as number) >= (modified.get('orders') as number))
  assert.equal((await api.store.getInstance('orders-2'))?.config.passWord, loaderPassword)
  assert.equal((await api.call('POST', '/api/instances/orders/copy', { token, body: { name: 'orders-2' } })).status, 409)
  assert.equal((await api.call('POST', '/api/instances/nope/copy', { token, body: { name: 'x' } })).status, 404)
  assert.deepEqual((await api.call('POST', '/api/instances/orders/copy', { token, body: { name: 'bad name' } })).body.issues.map((i: { path: string }) => i.path), ['name'])
})

test('preview: the matching rule, the target and the rows with __op, from the page\'s rules', async () => {
  const rules = [
    { sourceDatabase: 'shop', sourceTable: 'users', targetDatabase: 'dw' },
    { sourceDatabase: 'shop', sourceTable: 'orders_(\\d+)', targetDatabase: 'dw', targetTable: 'orders', columnRenames: { amt: 'amount' }, metadataColumns: { src: 'sourceTable' } },
  ]
  const message = canal('UPDATE', 'shop', 'orders_3', [{ id: '2', amt: '9.50' }], { old: [{ id: '1' }] })
  const res = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message } })
  assert.equal(res.status, 200, res.text)
  assert.deepEqual(res.body.match, { ruleIndex: 1, targetDatabase: 'dw', targetTable: 'orders' })
  // A key change: the old key is deleted, the new row upserted.
  assert.deepEqual(res.body.rows, [{ id: '1', amount: '9.50', src: 'orders_3', __op: 1 }, { id: '2', amount: '9.50', src: 'orders_3', __op: 0 }])
  assert.equal(res.body.schema, 'assumed')
  assert.deepEqual(res.body.notes.map((n: { code: string }) => n.code), ['preview.no_instance'])
  assert.match(res.body.notes[0].message, /no instance chosen/)

  const none = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: canal('INSERT', 'crm', 'x', [{ id: '1' }]) } })
  assert.equal(none.body.match, null)
  assert.deepEqual(none.body.rows, [])
  const ddl = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: canalDdl('shop', 'orders_3', 'ALTER TABLE orders_3 ADD c INT') } })
  assert.equal(ddl.body.kind, 'skipped')
  assert.equal(ddl.body.reason, 'ddl')
  assert.deepEqual(ddl.body.notes.map((n: { code: string; params: unknown }) => [n.code, n.params]), [['preview.skipped', { kind: 'ddl' }]])
})

test('preview: constant columns fill every row; an event type the rule does not sync sends nothing', async () => {
  const rules = [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw', constantColumns: { tenant: 'cn' }, needTypes: ['insert', 'update'] }]
  const insert = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: canal('INSERT', 'shop', 'orders', [{ id: '1' }]) } })
  assert.equal(insert.status, 200, insert.text)
  assert.deepEqual(insert.body.rows, [{ id: '1', tenant: 'cn', __op: 0 }])
  assert.equal(insert.body.notSynced, false)
  const del = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: canal('DELETE', 'shop', 'orders', [{ id: '1' }]) } })
  assert.equal(del.body.notSynced, true)
  assert.deepEqual(del.body.rows, [])
  assert.deepEqual(del.body.match, { ruleIndex: 0, targetDatabase: 'dw', targetTable: 'orders' })
  // A value K2S cannot convert shows as the row it would quarantine.
  const bad = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules: [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }], message: canal('INSERT', 'shop', 'orders', [{ id: '1', size: '7' }], { mysqlType: { size: "enum('s','m')" } }) } })
  assert.deepEqual(bad.body.refused, [{ column: 'size', reason: 'ENUM index 7 is past the 2 members of the column' }])
})

test('preview: Debezium and Maxwell messages are recognised, read as their format, and say which it was', async () => {
  const rules = [{ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' }]
  const columns = { id: { kind: 'bigint' }, amount: { kind: 'decimal', scale: 2 }, day: { kind: 'date' } } as const
  const keyChange = debezium({ op: 'u', db: 'shop', table: 'orders', before: { id: '1', amount: '9.50', day: '2024-02-29' }, after: { id: '2', amount: '9.50', day: '2024-02-29' } }, columns, { schema: true })
  const dbz = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: keyChange, key: debeziumKey({ id: '2' }, columns, { schema: true }) } })
  assert.equal(dbz.status, 200, dbz.text)
  assert.deepEqual([dbz.body.format, dbz.body.detected, dbz.body.type], ['debezium', true, 'UPDATE'])
  assert.deepEqual(dbz.body.rows, [{ id: '1', amount: '9.50', day: '2024-02-29', __op: 1 }, { id: '2', amount: '9.50', day: '2024-02-29', __op: 0 }])

  const mxw = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: maxwell({ type: 'delete', database: 'shop', table: 'orders', data: { id: '3', amount: '1.00' } }, columns), key: maxwellKey('shop', 'orders', { id: '3' }) } })
  assert.deepEqual([mxw.body.format, mxw.body.detected, mxw.body.rows], ['maxwell', true, [{ id: '3', amount: '1.00', __op: 1 }]])
  const tombstoneLike = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: debeziumTransaction('BEGIN', 'tx'), format: 'debezium' } })
  assert.deepEqual([tombstoneLike.body.kind, tombstoneLike.body.reason, tombstoneLike.body.format, tombstoneLike.body.detected], ['skipped', 'transaction', 'debezium', false])
  // A flattened row with no added fields looks like nothing in particular: the chosen format reads it.
  const flat = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: '{"id":4,"__db":"shop","__table":"orders"}', key: '{"id":4}', format: 'debezium' } })
  assert.deepEqual([flat.body.format, flat.body.detected, flat.body.rows], ['debezium', false, [{ id: '4', __op: 0 }]])
  const canalAsIs = await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: canal('INSERT', 'shop', 'orders', [{ id: '5' }]) } })
  assert.deepEqual([canalAsIs.body.format, canalAsIs.body.detected], ['canal', true])
  assert.deepEqual((await api.call('POST', '/api/mapping-envs/preview', { token, body: { rules, message: '{}', format: 'avro' } })).body.issues.map((i: { path: string }) => i.path), ['format'])
})

test('preview: a stored environment against the target table of an instance, columns filtered', async () => {
  const res = await api.call('POST', '/api/mapping-envs/preview', { token, body: { mappingEnv: 'shop', instance: 'orders', message: canal('INSERT', 'shop', 'orders', [{ id: '5', amount: '1.00', secret: 's', extra: 'e' }]) } })
  assert.equal(res.status, 200, res.text)
  assert.equal(res.body.schema, 'target')
  assert.deepEqual(res.body.rows, [{ id: '5', amount: '1.00', __op: 0 }])
  assert.deepEqual(res.body.notes, [])

  const missing = await api.call('POST', '/api/mapping-envs/preview', { token, body: { mappingEnv: 'shop', instance: 'orders', message: canal('INSERT', 'shop', 'refunds', [{ id: '5' }]) } })
  assert.equal(missing.body.schema, 'assumed')
  assert.deepEqual(missing.body.notes.map((n: { code: string; params: unknown }) => [n.code, n.params]), [['preview.table_missing', { table: 'dw.refunds' }]])
  assert.match(missing.body.notes[0].message, /dw.refunds does not exist in StarRocks yet/)
})

test('an environment has a code (its name) and a display name', async () => {
  assert.equal((await api.call('GET', '/api/mapping-envs/shop', { token })).body.title, 'Shop')
  const listed = (await api.call('GET', '/api/mapping-envs', { token })).body.mappingEnvs
  assert.deepEqual(listed.map((e: { name: string; title: string }) => [e.name, e.title]), [['shop', 'Shop']])
  const long = await api.call('PUT', '/api/mapping-envs/shop', { token, body: { title: 'x'.repeat(101), rules: [] } })
  assert.deepEqual(long.body.issues.map((i: { path: string }) => i.path), ['title'])
})

test('preview: bad input names the field', async () => {
  const issuesOf = async (body: unknown) => (await api.call('POST', '/api/mapping-envs/preview', { token, body })).body.issues.map((i: { path: string }) => i.path)
  assert.deepEqual(await issuesOf({ mappingEnv: 'shop', message: '{not json' }), ['message'])
  assert.deepEqual(await issuesOf({ mappingEnv: 'nope', message: '{}' }), ['mappingEnv'])
  assert.deepEqual(await issuesOf({ message: canal('INSERT', 'a', 'b', [{ id: '1' }]) }), ['rules'])
  assert.deepEqual(await issuesOf({ rules: [{ sourceDatabase: '(', sourceTable: '.*' }], message: '{}' }), ['rules.0.sourceDatabase'])
  assert.deepEqual(await issuesOf({ mappingEnv: 'shop', instance: 'nope', message: canal('INSERT', 'shop', 'orders', [{ id: '1' }]) }), ['instance'])
})

test('the console: its files without a login, everything it shows only with one', async () => {
  const root = await api.call('GET', '/')
  assert.equal(root.status, 302)
  assert.equal(root.headers.get('location'), '/ui/')
  const page = await api.call('GET', '/ui/')
  assert.equal(page.status, 200)
  assert.match(page.text, /<script type="module" src="app.js">/)
  assert.match((await api.call('GET', '/ui/pages/instances.js')).headers.get('content-type') ?? '', /javascript/)
  for (const path of ['/ui/../api/auth.ts', '/ui/%2e%2e/api/auth.ts', '/ui/..%2fapi/auth.ts']) {
    const escape = await api.call('GET', path)
    assert.notEqual(escape.status, 200, path)
    assert.ok(!escape.text.includes('timingSafeEqual'), path)
  }
  assert.equal((await api.call('GET', '/api/instances')).status, 401)
  const board = await api.call('GET', '/queues', { headers: { accept: 'text/html' } })
  assert.equal(board.status, 302)
  assert.equal(board.headers.get('location'), '/ui/#/login?next=%2Fqueues')
  assert.equal((await api.call('GET', '/queues', { token })).status, 200)
})

test('the console speaks both languages: every label exists in Chinese and in English', async () => {
  // Plain browser modules (no types for tsc): loaded by path.
  type Labels = Record<string, string>
  const { en } = (await import(new URL('../../dashboards/i18n-en.js', import.meta.url).href)) as { en: Labels }
  const { zh } = (await import(new URL('../../dashboards/i18n-zh.js', import.meta.url).href)) as { zh: Labels }
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort())
  for (const [key, text] of Object.entries(zh)) assert.ok(text.trim() !== '', `zh.${key} is empty`)
})
