import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { MappingEnvInput } from '../../src/instances/config.ts'
import { canal } from '../harness/canal-fixtures.ts'
import { consolePassword, consoleUser, launchChromium, leaseMs, loaderPassword, startConsoleStack, type ConsoleStack } from '../harness/console-stack.ts'
import { createTopic, produce } from '../harness/kafka-helpers.ts'
import { eventually } from '../harness/k2s-node.ts'

/**
 * The console at 1280×800 with the worst a deployment holds: names at their 64-character limit,
 * long reasons, many topics, long patterns, long previews. In Chinese and in English, no page
 * scrolls sideways, the actions stay on screen, the API's messages show in the page's language,
 * every page has its help, and the instance page charts what was loaded.
 */
let stack: ConsoleStack
let browser: Browser
const longName = `orders-${'x'.repeat(49)}-archive`.slice(0, 64)
const longEnv = `shop-${'m'.repeat(52)}-mapping`.slice(0, 64)
const longTopics = Array.from({ length: 16 }, (_, i) => `canal.binlog.production-shop-database.orders_shard_${String(i).padStart(3, '0')}`)
// Brokers that cannot be reached, named at length: the instance's fetcher retries and says so with them all.
const longBootstrap = [1, 2, 3].map((i) => `kafka-broker-${i}-of-the-shop-production-cluster.k2s-test.invalid:9092`).join(',')
const topic = 'fit-orders'

before(async () => {
  stack = await startConsoleStack('console-fit')
  const { emulator, kafka, k2s } = stack
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, amount DECIMAL(10,2), note VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await createTopic(kafka, topic, 2)
  // They exist: the admin asks Kafka for the lag of a running instance no fetcher reports on, and
  // kafkajs' admin client hangs (its connections open past the test) on topics that do not.
  for (const t of longTopics) await createTopic(kafka, t, 1)
  await k2s.startNode({ name: 'node-a', cluster: 'alpha', leaseMs })
  await k2s.startNode({ name: `node-${'n'.repeat(40)}-with-a-long-name`, cluster: `cluster-${'c'.repeat(30)}`, leaseMs })
  const rules: MappingEnvInput['rules'] = [
    { sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw' },
    { sourceDatabase: 'shop_(?<region>[a-z]+)_production_replica_\\d+', sourceTable: 'order_items_(\\d+)_archive_(\\d{4})_(\\d{2})_partitioned', targetDatabase: 'dw_${region}', targetTable: 'order_items_${2}_${3}', columnRenames: { customer_identifier_long: 'customer_id', shipping_address_line_one: 'ship_addr_1' }, excludeColumns: ['password_hash', 'internal_notes_for_support_team'], metadataColumns: { src_db: 'sourceDatabase', src_table: 'sourceTable', kafka_offset: 'kafkaOffset' }, deleteMode: 'soft', softDeleteColumn: 'is_deleted_flag_column' },
  ]
  await k2s.store.saveMappingEnv({ name: longEnv, title: `Shop ${'orders '.repeat(12)}`.trim(), description: `Every table of the shop database, ${'sharded and archived, '.repeat(8)}into dw`, rules })
  const connection = { kafkaBootstrap: kafka, jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`, feHost: '127.0.0.1', feHttpPort: emulator.feHttpPort, userName: 'loader', passWord: loaderPassword, commitTimeout: 200 }
  await k2s.store.saveInstance({ name: 'orders', topics: [topic], mappingEnv: longEnv, ...connection })
  await k2s.store.saveInstance({ name: longName, topics: longTopics, mappingEnv: longEnv, ...connection, kafkaBootstrap: longBootstrap })
  await k2s.store.saveInstance({ name: `${longName.slice(0, 60)}-off`, topics: longTopics, mappingEnv: longEnv, ...connection })
  // Running, its brokers out of reach: retrying, with a long reason.
  await k2s.store.startInstance(longName)
  await k2s.activity.quarantine([{ id: 'long-1', instance: longName, topic: longTopics[0]!, partition: 11, firstOffset: '123456789012', lastOffset: '123456789999', reason: `column "note" too long: ${'value '.repeat(40)}`, table: `dw_region.order_items_${'7'.repeat(30)}`, rows: 12, details: [`Error: Value too long for column note: '${'y'.repeat(300)}'`], payload: JSON.stringify({ id: 1, note: 'z'.repeat(2000) }), payloadKind: 'rows', at: new Date().toISOString() }])
  await k2s.store.startInstance('orders')
  await produce(kafka, topic, Array.from({ length: 30 }, (_, i) => ({ partition: i % 2, value: canal('INSERT', 'shop', 'orders', [{ id: String(i + 1), amount: `${i}.50`, note: 'ok' }]) })))
  await eventually('the rows loaded', () => stack.emulator.rows('dw', 'orders').length === 30, 30_000)
  // Too long for VARCHAR(8): StarRocks refuses it, it goes to the quarantine.
  await produce(kafka, topic, [{ partition: 0, value: canal('INSERT', 'shop', 'orders', [{ id: '99', amount: '1.00', note: 'far too long for eight' }]) }])
  await eventually('the refused row quarantined', async () => (await k2s.activity.quarantineSize('orders')) === 1, 30_000)
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  for (const name of ['orders', longName]) await stack?.k2s.store.stopInstance(name).catch(() => undefined)
  await stack?.close()
})

async function openConsole(lang: 'en' | 'zh'): Promise<Page> {
  const context = await browser.newContext({ locale: lang === 'zh' ? 'zh-CN' : 'en-US', viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`))
  await page.goto(`${stack.url}/ui/`)
  await page.getByTestId('login-user').fill(consoleUser)
  await page.getByTestId('login-password').fill(consolePassword)
  await page.getByTestId('login-submit').click()
  await page.getByTestId('instances').waitFor()
  return page
}

/** No horizontal scroll of the page, and each named element's right edge on screen. */
async function fits(page: Page, where: string, ...testids: string[]) {
  await page.waitForTimeout(150)
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth])
  assert.ok(scroll <= client, `${where}: the page is ${scroll} px wide in a ${client} px window`)
  for (const id of testids) {
    // Pages redraw every few seconds: an element replaced just then has no box, its successor has.
    let box = null
    for (let i = 0; i < 5 && !box; i++) {
      await page.getByTestId(id).first().waitFor()
      box = await page.getByTestId(id).first().boundingBox()
    }
    assert.ok(box, `${where}: ${id} is not shown`)
    assert.ok(box.x >= 0 && box.x + box.width <= client, `${where}: ${id} reaches x=${Math.round(box.x + box.width)}, past the ${client} px window`)
  }
}

async function openHelp(page: Page, name: string, words: RegExp) {
  const help = page.getByTestId(`help-${name}`)
  await help.locator('summary').click()
  assert.match(await help.innerText(), words)
}

const texts = {
  en: { failed: /^unreachable: Kafka at kafka-broker-1-of-the-shop-production-cluster/, help: { instances: /Consumer policies/, instance: /Per minute/, mapping: /first rule whose/, quarantine: /What quarantine is/, nodes: /heartbeats/ }, bootstrap: 'a comma list of host:port', connected: /connected; partitions per topic: fit-orders: 2/, note: /no instance chosen/ },
  zh: { failed: /^无法连接：Kafka kafka-broker-1-of-the-shop-production-cluster/, help: { instances: /消费策略/, instance: /按分钟/, mapping: /第一条/, quarantine: /什么是隔离区/, nodes: /心跳/ }, bootstrap: '以逗号分隔的 host:port', connected: /已连接；各 Topic 分区数：fit-orders: 2/, note: /未选择实例/ },
}

for (const lang of ['en', 'zh'] as const) {
  test(`${lang}: every page fits 1280×800 with long names, reasons, topics and previews, and speaks ${lang}`, async () => {
    const page = await openConsole(lang)
    const says = texts[lang]
    try {
      // Instances: the failed one's reason in this language; its row's actions on screen.
      await page.locator(`[data-testid="state-${longName}"][data-state="retrying"]`).waitFor({ timeout: 30_000 })
      assert.match(await page.getByTestId(`state-${longName}`).locator('.reason').getAttribute('title') ?? '', says.failed)
      await fits(page, 'instances', `delete-${longName.slice(0, 60)}-off`, `log-${longName}`, 'new-instance')
      await openHelp(page, 'instances', says.help.instances)
      await fits(page, 'instances with help')

      // The instance dialog: a field error and the Test connection results in this language.
      await page.getByTestId('edit-orders').click()
      await page.getByTestId('field-kafkaBootstrap').fill('not a host')
      await page.getByTestId('save-instance').click()
      await page.getByTestId('error-kafkaBootstrap').getByText(says.bootstrap).waitFor()
      await page.getByTestId('field-kafkaBootstrap').fill(stack.kafka)
      await page.getByTestId('test-connection').click()
      await page.locator('[data-testid="check-kafka"][data-ok="true"]').waitFor()
      assert.match(await page.getByTestId('check-kafka').innerText(), says.connected)
      await fits(page, 'instance dialog')
      await page.keyboard.press('Escape')

      // One instance: charts of what was loaded, per partition on demand.
      await page.getByTestId('open-orders').click()
      await page.getByTestId('chart-rowsPerSecond').waitFor()
      assert.ok(Number(await page.getByTestId('chart-rowsPerSecond').getAttribute('data-points')) > 0, 'the rows chart has no point')
      assert.ok(Number(await page.getByTestId('chart-quarantinedRows').getAttribute('data-points')) > 0, 'the quarantine chart has no point')
      await page.getByTestId('chart-lagMessages').locator('canvas').waitFor()
      await page.getByTestId('per-partition').check()
      await page.getByTestId('chart-rowsPerSecond').locator('.u-legend').getByText(`${topic}/1`).waitFor()
      await openHelp(page, 'instance', says.help.instance)
      await fits(page, 'instance page', 'chart-rowsPerSecond', 'chart-quarantinedRows', 'per-partition')

      // Table Mapping: the long environment, its rules' actions on screen, a long preview that wraps.
      await page.getByTestId('nav-mapping').click()
      await page.getByTestId(`env-${longEnv}`).click()
      // The environment drawn by the click, not by the page's first load: nothing is in flight.
      await page.waitForLoadState('networkidle')
      await page.getByTestId('edit-rule-1').waitFor()
      await fits(page, 'mapping', 'add-rule', 'edit-rule-1', `env-${longEnv}`, 'new-env')
      await page.getByTestId('preview-instance').selectOption('')
      await page.getByTestId('preview-message').fill(canal('UPDATE', 'shop_eu_production_replica_7', 'order_items_12_archive_2026_11_partitioned', [{ id: '1', customer_identifier_long: 'c'.repeat(300), shipping_address_line_one: 'Long Street '.repeat(30) }], { old: [{ id: '0' }] }))
      await page.getByTestId('run-preview').click()
      await page.getByTestId('preview-rows').waitFor()
      assert.match(await page.getByTestId('preview-result').innerText(), says.note)
      await openHelp(page, 'mapping', says.help.mapping)
      await fits(page, 'mapping with a preview', 'add-rule', 'edit-rule-1', 'preview-rows')

      await page.getByTestId('nav-quarantine').click()
      await page.getByTestId('quarantine-instance').selectOption(longName)
      await page.getByTestId('quarantine').waitFor()
      await openHelp(page, 'quarantine', says.help.quarantine)
      await fits(page, 'quarantine')

      await page.getByTestId('nav-nodes').click()
      await page.getByTestId('node-status-node-a').waitFor()
      await openHelp(page, 'nodes', says.help.nodes)
      await fits(page, 'consumers')
    } finally {
      await page.context().close()
    }
  })
}
