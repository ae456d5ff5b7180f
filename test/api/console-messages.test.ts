import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { consolePassword, consoleUser, launchChromium, leaseMs, loaderPassword, startConsoleStack, type ConsoleStack } from '../harness/console-stack.ts'
import { freePort } from '../harness/free-port.ts'
import { eventually } from '../harness/k2s-node.ts'

/**
 * The console says what is true and what helps, in headless Chromium: the Consumers page's empty
 * state and cluster filter, the Quarantine page of an instance that never loaded, the Log dialog
 * with the fields that explain a line, and a login started from Bull Board landing back on it.
 */
let stack: ConsoleStack
let browser: Browser
let page: Page

before(async () => {
  stack = await startConsoleStack('console-messages')
  browser = await launchChromium()
  page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } })).newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`))
})

after(async () => {
  await browser?.close()
  await stack?.close()
})

const byTestId = (id: string) => page.getByTestId(id)

test('a login started from /queues lands back on Bull Board, not on Instances', async () => {
  await page.goto(`${stack.url}/queues`)
  await byTestId('login-user').fill(consoleUser)
  await byTestId('login-password').fill(consolePassword)
  await byTestId('login-submit').click()
  await page.waitForURL(`${stack.url}/queues`)
  await eventually('the board rendered', async () => (await page.title()) === 'K2S loads')
  // The board's page names the console's icon and asks no other host for fonts.
  assert.equal(await page.locator('link[rel="icon"]').first().getAttribute('href'), '/ui/favicon.svg')
  assert.equal(await page.locator('link[href*="fonts.googleapis"]').count(), 0)
})

test('the Queues page shows Bull Board inside the console (framed by its own origin only)', async () => {
  await page.goto(`${stack.url}/ui/#/queues`)
  const frame = page.frameLocator('[data-testid="queues-frame"]')
  await frame.locator('body:not(.neterror)').waitFor({ timeout: 15_000 })
  await eventually('the board rendered in the frame', async () => (await frame.locator('html').evaluate(() => document.title)) === 'K2S loads')
})

test('Consumers: the empty page names K2S_ADMIN_MANAGER; the cluster filter opens on all clusters and "(no cluster)" filters', async () => {
  await page.goto(`${stack.url}/ui/#/nodes`)
  const empty = await byTestId('nodes-empty').innerText()
  assert.match(empty, /K2S_ADMIN_MANAGER/)
  assert.doesNotMatch(empty, /K2S_ADMIN_URL/)

  await stack.k2s.startNode({ name: 'plain', cluster: '', leaseMs })
  await stack.spawnNode('beta-node')
  await byTestId('node-status-plain').waitFor()
  await byTestId('node-status-beta-node').waitFor()
  const filter = byTestId('filter-cluster')
  assert.equal(await filter.locator('option:checked').innerText(), 'All clusters')
  await filter.selectOption({ label: '(no cluster)' })
  await eventually('only the node without a cluster', async () => (await byTestId('node-status-beta-node').count()) === 0 && (await byTestId('node-status-plain').count()) === 1)
  // The choice survives the page's own refresh.
  await page.waitForTimeout(3_500)
  assert.equal(await filter.locator('option:checked').innerText(), '(no cluster)')
  assert.equal(await byTestId('node-status-beta-node').count(), 0)
  await filter.selectOption({ label: 'beta' })
  await eventually('only the beta node', async () => (await byTestId('node-status-plain').count()) === 0 && (await byTestId('node-status-beta-node').count()) === 1)
  await filter.selectOption({ label: 'All clusters' })
  await byTestId('node-status-plain').waitFor()
})

test('an instance that cannot reach Kafka: its Log shows the error field, its empty Quarantine claims no loads', async () => {
  const dead = await freePort()
  await stack.k2s.store.saveMappingEnv({ name: 'm', rules: [{ sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw' }] })
  await stack.k2s.store.saveInstance({
    name: 'nowhere', kafkaBootstrap: `127.0.0.1:${dead}`, topics: ['t'], mappingEnv: 'm', jdbcUrl: `jdbc:mysql://127.0.0.1:${stack.emulator.mysqlPort}/`,
    feHost: '127.0.0.1', feHttpPort: stack.emulator.feHttpPort, userName: 'loader', passWord: loaderPassword, consumerPolicy: 'E-C',
    // The spawned node writes its log lines to Redis, where the Log dialog reads them.
    pinNode: 'beta-node',
  })
  await stack.k2s.store.startInstance('nowhere')
  await page.goto(`${stack.url}/ui/#/instances`)
  await page.locator('[data-testid="state-nowhere"][data-state="retrying"]').waitFor({ timeout: 20_000 })
  await byTestId('log-nowhere').click()
  const dialog = page.getByRole('dialog', { name: 'Recent log of nowhere' })
  await eventually('a line with its error field', async () => {
    if ((await dialog.getByTestId('log-fields').count()) > 0 && /ECONNREFUSED/.test(await dialog.innerText())) return true
    await page.keyboard.press('Escape')
    await byTestId('log-nowhere').click()
    return false
  }, 20_000)
  const fields = await dialog.getByTestId('log-fields').first().innerText()
  assert.match(fields, /err\s+unreachable: Kafka at 127\.0\.0\.1:\d+ did not answer \(ECONNREFUSED\)/)
  assert.doesNotMatch(fields, /hostname|pid/)
  await page.keyboard.press('Escape')

  await page.goto(`${stack.url}/ui/#/quarantine?instance=nowhere`)
  assert.equal(await byTestId('quarantine-empty').innerText(), 'Nothing in quarantine. This instance has not loaded a batch yet.')
  await stack.k2s.store.stopInstance('nowhere')
})
