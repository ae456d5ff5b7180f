import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { instanceActivity } from '../../src/instances/instance-activity.ts'
import { schemaHolds } from '../../src/instances/schema-holds.ts'
import { nodeRegistry } from '../../src/nodes/node-registry.ts'
import { redisKeys } from '../../src/redis-keys.ts'
import { consolePassword, consoleUser, launchChromium, leaseMs, loaderPassword, startConsoleStack, type ConsoleStack } from '../harness/console-stack.ts'
import { eventually } from '../harness/k2s-node.ts'

/**
 * The console draws only what the logged-in role may use, in headless Chromium: a viewer sees the
 * instances, mappings, quarantine, schema holds and nodes without a button that changes anything;
 * an operator has them, without the admin's Users page. Every role changes its own password from
 * the top bar.
 */
let stack: ConsoleStack
let browser: Browser
const viewer = { user: 'viewer-1', password: 'viewer-Pa55word' }
const operator = { user: 'operator-1', password: 'operator-Pa55word' }

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
  return res.json()
}

before(async () => {
  stack = await startConsoleStack('console-roles')
  const login = await fetch(`${stack.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: consoleUser, password: consolePassword }) })
  const { token } = (await login.json()) as { token: string }
  for (const [who, role] of [[viewer, 'viewer'], [operator, 'operator']] as const) await api('POST', '/api/users', token, { name: who.user, role, password: who.password })
  await api('POST', '/api/mapping-envs', token, { name: 'shop', description: '', rules: [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }] })
  await api('POST', '/api/instances', token, {
    name: 'orders', kafkaBootstrap: stack.kafka, topics: ['console-roles'], mappingEnv: 'shop', jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/',
    feHost: '127.0.0.1', feHttpPort: 8030, userName: 'loader', passWord: loaderPassword, consumerPolicy: 'E-C',
  })
  const keys = redisKeys(stack.prefix)
  await instanceActivity(stack.k2s.redis, keys).quarantine([{
    id: 'q1', instance: 'orders', topic: 'console-roles', partition: 0, firstOffset: '0', lastOffset: '0', reason: 'dw.refunds does not exist',
    table: 'dw.refunds', rows: 1, details: [], payload: '{"id":1}', payloadKind: 'rows', at: new Date().toISOString(),
  }])
  await schemaHolds(stack.k2s.redis, keys).hold('orders', {
    table: 'dw.orders', kind: 'ddl', code: 'schema.narrowing', message: 'changing qty of dw.orders from BIGINT to SMALLINT is not a widening',
    params: { table: 'dw.orders', column: 'qty', from: 'BIGINT', to: 'SMALLINT' }, topic: 'console-roles', partition: 0, offset: '9', ddl: '0/x/0/9/dw.orders', at: new Date().toISOString(),
  })
  // One node that runs orders and one that went away: their details offer start/stop and removal.
  const nodes = nodeRegistry(stack.k2s.redis, keys, leaseMs)
  for (const name of ['node-on', 'node-gone']) await nodes.register({ name, address: '127.0.0.1', port: 10002, cluster: '', roles: ['fetcher'], version: 'test', startedAt: Date.now() })
  await nodes.heartbeat('node-on', ['orders'])
  await nodes.stopped('node-gone')
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await stack?.close()
})

async function loggedIn(who: { user: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } })).newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`))
  await page.goto(`${stack.url}/`)
  await page.getByTestId('login-user').fill(who.user)
  await page.getByTestId('login-password').fill(who.password)
  await page.getByTestId('login-submit').click()
  await page.getByTestId('current-user').getByText(who.user).waitFor()
  return page
}

/** The buttons matching `selector` on the page now: none expected for a viewer. */
const count = (page: Page, selector: string) => page.locator(selector).count()

test('a viewer sees every page\'s data and no button that changes anything', async () => {
  const page = await loggedIn(viewer)
  await page.getByTestId('state-orders').waitFor()
  await page.getByTestId('log-orders').waitFor()
  for (const id of ['new-instance', 'start-orders', 'stop-orders', 'edit-orders', 'copy-orders', 'delete-orders']) assert.equal(await count(page, `[data-testid="${id}"]`), 0, `instances: ${id}`)
  assert.equal(await count(page, '[data-testid="nav-users"]'), 0)

  await page.getByTestId('schema-orders').click()
  await page.getByTestId('schema-held').getByText('dw.orders', { exact: true }).waitFor()
  assert.equal(await count(page, '[data-testid^="resume-"]'), 0, 'schema: resume')
  await page.keyboard.press('Escape')

  await page.getByTestId('nav-mapping').click()
  await page.getByTestId('rules').getByText('shop . .*').waitFor()
  await page.getByTestId('run-preview').waitFor()
  for (const selector of ['[data-testid="new-env"]', '[data-testid^="edit-env-"]', '[data-testid^="delete-env-"]', '[data-testid="add-rule"]', '[data-testid^="edit-rule-"]', '[data-testid^="delete-rule-"]', '[aria-label="Move up"]']) {
    assert.equal(await count(page, selector), 0, `mapping: ${selector}`)
  }

  await page.goto(`${stack.url}/#/quarantine?instance=orders`)
  await page.getByTestId('quarantine').getByText('dw.refunds does not exist').waitFor()
  assert.equal(await count(page, '[data-testid^="replay-"], [data-testid^="discard-"]'), 0, 'quarantine: replay, discard')

  await page.getByTestId('nav-nodes').click()
  await page.getByTestId('node-status-node-gone').getByText('offline').waitFor()
  assert.equal(await count(page, '[data-testid^="remove-node-"]'), 0, 'nodes: remove')
  await page.getByTestId('details-node-on').click()
  await page.getByTestId('node-details').getByTestId('state-orders').waitFor()
  assert.equal(await count(page, '[data-testid^="node-start-"], [data-testid^="node-stop-"]'), 0, 'node details: start, stop')
  await page.context().close()
})

test('an operator has those buttons, and no Users page', async () => {
  const page = await loggedIn(operator)
  for (const id of ['new-instance', 'start-orders', 'edit-orders', 'copy-orders', 'delete-orders']) await page.getByTestId(id).waitFor()
  assert.equal(await count(page, '[data-testid="nav-users"]'), 0)
  await page.getByTestId('nav-mapping').click()
  for (const id of ['new-env', 'add-rule', 'edit-rule-0', 'delete-rule-0', 'edit-env-shop']) await page.getByTestId(id).waitFor()
  await page.goto(`${stack.url}/#/quarantine?instance=orders`)
  await page.getByTestId('discard-q1').waitFor()
  await page.getByTestId('nav-nodes').click()
  await page.getByTestId('remove-node-node-gone').waitFor()
  await page.context().close()
})

test('a viewer changes their own password from the top bar: a wrong current one is named under its field', async () => {
  const page = await loggedIn(viewer)
  await page.getByTestId('change-password').click()
  await page.getByTestId('current-password').fill('not-my-password')
  await page.getByTestId('new-password').fill('viewer-New-Pa55')
  await page.getByTestId('save-password').click()
  await page.getByTestId('error-currentPassword').getByText('not your current password').waitFor()
  await page.getByTestId('current-password').fill(viewer.password)
  await page.getByTestId('save-password').click()
  await eventually('the dialog closed', async () => (await count(page, '[data-testid="password-dialog"]')) === 0)
  // This session goes on; the old password no longer logs in.
  await page.getByTestId('nav-mapping').click()
  await page.getByTestId('rules').waitFor()
  const old = await fetch(`${stack.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: viewer.user, password: viewer.password }) })
  assert.equal(old.status, 401)
  await page.context().close()
})
