import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { instanceConfigSchema } from '../../src/instances/config.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { consolePassword, consoleUser, launchChromium, leaseMs, loaderPassword, startConsoleStack, type ConsoleStack } from '../harness/console-stack.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually } from '../harness/k2s-node.ts'
import { schemaHolds } from '../../src/instances/schema-holds.ts'
import { redisKeys } from '../../src/redis-keys.ts'

/**
 * The web console in headless Chromium, as a new user walks through it: log in, create a mapping
 * environment and a rule, preview a message, create an instance (the API's messages under the
 * fields), test its connection, start it, watch rows arrive in the emulator, stop it, see a killed
 * node go offline, switch language. No page ever shows the StarRocks password.
 */
let stack: ConsoleStack
let browser: Browser
let page: Page
let doomed: ChildProcess
const topic = 'console-orders'

before(async () => {
  stack = await startConsoleStack('console')
  await stack.emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, amount DECIMAL(10,2), note VARCHAR(64)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await createTopic(stack.kafka, topic, 1)
  await stack.k2s.startNode({ name: 'node-a', cluster: 'alpha', leaseMs })
  doomed = await stack.spawnNode('node-b')
  browser = await launchChromium()
  page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } })).newPage()
  page.setDefaultTimeout(10_000)
  // A script error on the page fails the test that is running, with the browser's message.
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`))
})

after(async () => {
  await browser?.close()
  await stack?.close()
})

const byTestId = (id: string) => page.getByTestId(id)

async function noPasswordOnPage() {
  assert.ok(!(await page.content()).includes(loaderPassword), 'the page shows the StarRocks password')
}

test('log in: a wrong password is refused on the page, the right one opens the console', async () => {
  await page.goto(`${stack.url}/`)
  await byTestId('login-user').fill(consoleUser)
  await byTestId('login-password').fill('not-it')
  await byTestId('login-submit').click()
  await byTestId('login-error').getByText('Wrong user or password').waitFor()
  await byTestId('login-password').fill(consolePassword)
  await byTestId('login-submit').click()
  await byTestId('current-user').getByText(consoleUser).waitFor()
  await byTestId('instances-empty').waitFor()
})

test('a mapping environment and a rule; the preview shows the matching rule and the rows', async () => {
  await byTestId('nav-mapping').click()
  await byTestId('new-env').click()
  await byTestId('env-name').fill('shop')
  await byTestId('env-title').fill('Shop orders')
  await byTestId('env-description').fill('shop orders into dw')
  await byTestId('save-env').click()
  await byTestId('envs').getByText('Shop orders', { exact: true }).waitFor()
  await byTestId('rules-empty').waitFor()

  await byTestId('add-rule').click()
  await byTestId('rule-sourceDatabase').fill('shop')
  await byTestId('rule-sourceTable').fill('orders(')
  await byTestId('save-rule').click()
  // The API's message lands under the field it names.
  await byTestId('error-sourceTable').getByText('not a valid regular expression').waitFor()
  await byTestId('rule-sourceTable').fill('orders')
  await byTestId('rule-targetDatabase').fill('dw')
  await byTestId('save-rule').click()
  await byTestId('rules').getByText('shop . orders').waitFor()

  await byTestId('preview-message').fill(canal('DELETE', 'shop', 'orders', [{ id: '7', amount: '1.50', note: 'x' }]))
  await byTestId('run-preview').click()
  await byTestId('preview-match').getByText('Rule 1 matches shop.orders → dw.orders').waitFor()
  assert.deepEqual(JSON.parse(await byTestId('preview-rows').innerText()), { id: '7', amount: '1.50', note: 'x', __op: 1 })
  assert.equal(await byTestId('preview-format-read').innerText(), 'Read as canal (flat message) (recognised from the message).')

  // A Maxwell delete with its key: recognised, and the key names the key column.
  await byTestId('preview-message').fill('{"database":"shop","table":"orders","type":"delete","ts":1700000000,"xid":5,"commit":true,"data":{"id":8,"amount":2.50,"note":null}}')
  await byTestId('preview-key').fill('{"database":"shop","table":"orders","pk.id":8}')
  await byTestId('run-preview').click()
  await byTestId('preview-format-read').getByText('Read as Maxwell (recognised from the message).').waitFor()
  assert.deepEqual(JSON.parse(await byTestId('preview-rows').innerText()), { id: '8', amount: '2.50', note: null, __op: 1 })
})

test('an instance: field errors inline, Test connection says which part failed, then saves', async () => {
  await byTestId('nav-instances').click()
  await byTestId('new-instance').click()
  // Every field an instance config has is an input of the dialog, none left to raw JSON.
  await byTestId('field-name').waitFor()
  for (const key of Object.keys(instanceConfigSchema.shape)) assert.equal(await byTestId(`field-${key}`).count(), 1, `the dialog has no input for ${key}`)
  await byTestId('field-name').fill('orders')
  await byTestId('field-kafkaBootstrap').fill('not a host')
  await byTestId('field-topics').fill(topic)
  await byTestId('field-topics').press('Enter')
  await byTestId('field-jdbcUrl').fill(`jdbc:mysql://127.0.0.1:${stack.emulator.mysqlPort}/`)
  await byTestId('field-feHttpPort').fill(String(stack.emulator.feHttpPort))
  await byTestId('field-userName').fill('loader')
  await byTestId('field-passWord').fill('wrong-password')
  await byTestId('field-commitTimeout').fill('200')
  // Only the security fields of the chosen protocol show.
  assert.equal(await byTestId('field-kafkaSaslUser').isVisible(), false)
  await byTestId('field-kafkaSecurityProtocol').selectOption('SASL_SSL')
  assert.equal(await byTestId('field-kafkaSaslUser').isVisible(), true)
  assert.equal(await byTestId('field-kafkaTlsCa').isVisible(), true)
  await byTestId('field-kafkaSecurityProtocol').selectOption('SASL_PLAINTEXT')
  assert.equal(await byTestId('field-kafkaTlsCa').isVisible(), false)
  await byTestId('field-kafkaSecurityProtocol').selectOption('PLAINTEXT')
  await byTestId('save-instance').click()
  await byTestId('error-kafkaBootstrap').getByText('a comma list of host:port').waitFor()

  await byTestId('field-kafkaBootstrap').fill(stack.kafka)
  await byTestId('test-connection').click()
  await page.locator('[data-testid="check-mysql"][data-ok="false"]').getByText('Access denied').waitFor()
  assert.equal(await byTestId('check-kafka').getAttribute('data-ok'), 'true')
  assert.match(await byTestId('check-kafka').innerText(), new RegExp(`partitions per topic: ${topic}: 1$`))
  assert.equal(await byTestId('check-feHttp').getAttribute('data-ok'), 'false')

  await byTestId('field-passWord').fill(loaderPassword)
  await byTestId('test-connection').click()
  await page.locator('[data-testid="check-mysql"][data-ok="true"]').waitFor()
  assert.equal(await byTestId('check-feHttp').getAttribute('data-ok'), 'true')
  await byTestId('save-instance').click()
  await byTestId('state-orders').getByText('stopped').waitFor()

  // Editing: the password is write-only, "unchanged" until typed over.
  await byTestId('edit-orders').click()
  assert.equal(await byTestId('field-passWord').inputValue(), '')
  assert.equal(await byTestId('field-passWord').getAttribute('placeholder'), 'unchanged')
  await noPasswordOnPage()
  await byTestId('test-connection').click()
  await page.locator('[data-testid="check-mysql"][data-ok="true"]').waitFor()
  // Another FE host: the stored password does not follow; the dialog says so, the API refuses it.
  await byTestId('field-feHost').fill('10.255.0.1')
  await page.locator('[data-testid="password-again"]').getByText('needs the password again').waitFor()
  await byTestId('test-connection').click()
  await byTestId('error-passWord').waitFor()
  await page.keyboard.press('Escape')
})

test('start: the row count grows as messages are produced, and the rows are in StarRocks', async () => {
  await byTestId('start-orders').click()
  await page.locator('[data-testid="state-orders"][data-state="running"]').waitFor({ timeout: 20_000 })
  await produce(stack.kafka, topic, [1, 2, 3].map((id) => ({ value: canal('INSERT', 'shop', 'orders', [{ id: String(id), amount: `${id}.00`, note: null }]) })))
  await byTestId('rows-orders').getByText('3', { exact: true }).waitFor({ timeout: 20_000 })
  await produce(stack.kafka, topic, [4, 5].map((id) => ({ value: canal('INSERT', 'shop', 'orders', [{ id: String(id), amount: `${id}.00`, note: null }]) })))
  await byTestId('rows-orders').getByText('5', { exact: true }).waitFor({ timeout: 20_000 })
  assert.deepEqual(stack.emulator.rows('dw', 'orders').map((r) => r.id), ['1', '2', '3', '4', '5'])
  await noPasswordOnPage()
})

test('quarantine: rows for a table StarRocks lacks wait there; once it exists, Replay loads them', async () => {
  await byTestId('nav-mapping').click()
  await byTestId('add-rule').click()
  await byTestId('rule-sourceDatabase').fill('shop')
  await byTestId('rule-sourceTable').fill('refunds')
  await byTestId('rule-targetDatabase').fill('dw')
  await byTestId('save-rule').click()
  await byTestId('rules').getByText('shop . refunds').waitFor()
  await produce(stack.kafka, topic, [{ value: canal('INSERT', 'shop', 'refunds', [{ id: '9', amount: '2.50' }]) }])

  await byTestId('nav-instances').click()
  await page.locator('a[href="#/quarantine?instance=orders"]').getByText('(1)').waitFor({ timeout: 20_000 })
  await page.locator('a[href="#/quarantine?instance=orders"]').click()
  await byTestId('quarantine').getByText('dw.refunds does not exist').waitFor()
  await stack.emulator.execute('CREATE TABLE dw.refunds (id BIGINT NOT NULL, amount DECIMAL(10,2)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await page.locator('[data-testid^="replay-"]').click()
  await byTestId('quarantine-empty').waitFor()
  assert.deepEqual(stack.emulator.rows('dw', 'refunds'), [{ id: '9', amount: '2.50' }])
})

test("a node's details list the instance it runs, with stop and start; instances filter by state", async () => {
  const { instances } = await (await page.request.get(`${stack.url}/api/instances`)).json()
  const owner = instances.find((i: { name: string }) => i.name === 'orders').runningOn
  assert.ok(owner, 'orders runs on a node')
  await byTestId('nav-nodes').click()
  await byTestId(`details-${owner}`).click()
  const details = byTestId('node-details')
  await details.locator('[data-testid="state-orders"][data-state="running"]').waitFor()
  await details.getByTestId('node-stop-orders').click()
  await details.locator('[data-testid="state-orders"][data-state="stopped"]').waitFor()
  await details.getByTestId('node-start-orders').click()
  await details.getByTestId('node-stop-orders').waitFor()
  await page.keyboard.press('Escape')

  await byTestId('nav-instances').click()
  await page.locator('[data-testid="state-orders"][data-state="running"]').waitFor({ timeout: 20_000 })
  await byTestId('filter-status').selectOption('stopped')
  await eventually('orders hidden by the stopped filter', async () => (await byTestId('state-orders').count()) === 0)
  await byTestId('filter-status').selectOption('running')
  await byTestId('state-orders').waitFor()
  await byTestId('filter-name').fill('nothing-like-it')
  await eventually('no instance matches the name', async () => (await byTestId('state-orders').count()) === 0)
  await byTestId('filter-name').fill('')
  await byTestId('filter-status').selectOption('')
  await byTestId('state-orders').waitFor()
})

test('schema: a held table shows why, in the page\'s language; Resume releases it; drift is listed per table', async () => {
  const holds = schemaHolds(stack.k2s.redis, redisKeys(stack.prefix))
  await holds.hold('orders', {
    table: 'dw.orders', kind: 'ddl', code: 'schema.narrowing', message: 'changing qty of dw.orders from BIGINT to SMALLINT is not a widening',
    params: { table: 'dw.orders', column: 'qty', from: 'BIGINT', to: 'SMALLINT' }, topic, partition: 0, offset: '9', ddl: '0/x/0/9/dw.orders', at: new Date().toISOString(),
  })
  await holds.countDrift('orders', { 'dw.orders': { rows: 2, columns: ['coupon'] } })
  await byTestId('nav-instances').click()
  await byTestId('schema-orders').getByText('Schema (1)').waitFor()
  await byTestId('schema-orders').click()
  await byTestId('schema-held').getByText('Changing qty of dw.orders from BIGINT to SMALLINT is not a widening; K2S does not narrow or convert a column.').waitFor()
  await byTestId('schema-drift').getByText('coupon').waitFor()
  await byTestId('resume-dw.orders').click()
  await byTestId('confirm').click()
  await byTestId('schema-held-empty').waitFor()
  assert.equal(await holds.ddlDone('orders', '0/x/0/9/dw.orders'), 'resumed')
  await page.keyboard.press('Escape')
  await byTestId('schema-orders').getByText('Schema', { exact: true }).waitFor()
})

test('copy, log and stop: a copy needs a free, valid name; the log opens; stop stops it', async () => {
  await byTestId('nav-instances').click()
  await byTestId('copy-orders').click()
  await byTestId('copy-name').fill('orders')
  await byTestId('save-copy').click()
  await byTestId('copy-dialog').getByText('instance orders already exists').waitFor()
  await byTestId('copy-name').fill('bad name')
  await byTestId('save-copy').click()
  await byTestId('error-name').waitFor()
  await byTestId('copy-name').fill('orders-copy')
  await byTestId('save-copy').click()
  await page.locator('[data-testid="state-orders-copy"][data-state="stopped"]').waitFor()

  // Which node's lines reach the log store depends on which node took the instance: lines or the empty state.
  await byTestId('log-orders').click()
  await page.getByRole('dialog', { name: 'Recent log of orders' }).locator('[data-testid="log-lines"], [data-testid="log-lines-empty"]').waitFor()
  await page.keyboard.press('Escape')

  await byTestId('stop-orders').click()
  await page.locator('[data-testid="state-orders"][data-state="stopped"]').waitFor()
  await byTestId('delete-orders-copy').click()
  await byTestId('confirm').click()
  await eventually('the copy gone from the page', async () => (await byTestId('state-orders-copy').count()) === 0)
  await noPasswordOnPage()
})

test('consumers: filtered by cluster; a killed node goes offline and can then be removed', async () => {
  await byTestId('nav-nodes').click()
  await byTestId('node-status-node-a').getByText('online').waitFor()
  await byTestId('node-status-node-b').getByText('online').waitFor()
  await byTestId('filter-cluster').selectOption('alpha')
  await eventually('only the alpha node listed', async () => (await byTestId('node-status-node-b').count()) === 0 && (await byTestId('node-status-node-a').count()) === 1)
  await byTestId('filter-cluster').selectOption('')
  await byTestId('node-status-node-b').waitFor()
  doomed.kill('SIGKILL')
  await byTestId('node-status-node-b').getByText('offline').waitFor({ timeout: 15_000 })
  assert.match(await byTestId('node-status-node-a').innerText(), /online/)
  await byTestId('remove-node-node-b').click()
  await byTestId('confirm').click()
  await eventually('node-b gone from the page', async () => (await byTestId('node-status-node-b').count()) === 0)
})

test('language: 中文 and back, remembered across a reload; a Chinese browser starts in Chinese', async () => {
  await byTestId('lang-zh').click()
  await byTestId('nav-instances').getByText('实例管理').waitFor()
  await page.reload()
  await byTestId('nav-nodes').getByText('消费节点').waitFor()
  await byTestId('lang-en').click()
  await byTestId('nav-nodes').getByText('Consumers').waitFor()

  const context = await browser.newContext({ locale: 'zh-CN' })
  const zhPage = await context.newPage()
  await zhPage.goto(`${stack.url}/ui/`)
  await zhPage.getByTestId('login-submit').getByText('登录').waitFor()
  await context.close()
})
