// `npm run screenshots`: brings up the console's test stack (Kafka and Redis from the test harness,
// the StarRocks emulator, the admin, two nodes), fills it with some data through the same pages a
// user clicks, and writes a PNG of each page to docs/screenshots/ (English, and Chinese for some),
// at 1280×800. Then it runs `npm run demo` for a few minutes and shoots its instance page. The
// Chinese pictures need a CJK font on the machine (Debian: fonts-noto-cjk), else Chromium draws boxes.
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { canal } from '../test/harness/canal-fixtures.ts'
import { consolePassword, consoleUser, launchChromium, leaseMs, loaderPassword, startConsoleStack } from '../test/harness/console-stack.ts'
import { createTopic, produce } from '../test/harness/kafka-helpers.ts'

const out = new URL('../docs/screenshots/', import.meta.url)
mkdirSync(out, { recursive: true })

const stack = await startConsoleStack('screenshots')
const browser = await launchChromium()
const viewport = { width: 1280, height: 800 }
const shoot = async (page: Page, name: string) => {
  await page.waitForTimeout(400)
  await page.screenshot({ path: new URL(`${name}.png`, out).pathname })
  console.log(`docs/screenshots/${name}.png`)
}
try {
  const { emulator, kafka, k2s } = stack
  await emulator.execute('CREATE TABLE dw.orders (id BIGINT NOT NULL, amount DECIMAL(10,2), status VARCHAR(16)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
  await createTopic(kafka, 'shop-binlog', 3)
  await createTopic(kafka, 'crm-binlog', 1)
  await k2s.startNode({ name: 'node-a', cluster: 'alpha', leaseMs })
  await k2s.startNode({ name: 'node-b', cluster: 'alpha', leaseMs })
  const gone = await stack.spawnNode('node-old')
  await k2s.store.saveMappingEnv({ name: 'shop', title: 'Shop orders', description: 'shop database into the dw warehouse', rules: [
    { sourceDatabase: 'shop', sourceTable: 'orders_(\\d+)', targetDatabase: 'dw', targetTable: 'orders', metadataColumns: { src_table: 'sourceTable' } },
    { sourceDatabase: 'shop', sourceTable: '.*', targetDatabase: 'dw', excludeColumns: ['password_hash'], deleteMode: 'soft', softDeleteColumn: 'is_deleted' },
  ] })
  await k2s.store.saveMappingEnv({ name: 'crm', title: 'CRM', description: 'CRM tables, renamed', rules: [{ sourceDatabase: 'crm', sourceTable: 'customer', targetDatabase: 'dw', targetTable: 'dim_customer', columnRenames: { custName: 'name' } }] })
  const connection = { jdbcUrl: `jdbc:mysql://127.0.0.1:${emulator.mysqlPort}/`, feHost: '127.0.0.1', feHttpPort: emulator.feHttpPort, userName: 'loader', passWord: loaderPassword, commitTimeout: 200 }
  await k2s.store.saveInstance({ name: 'shop-orders', kafkaBootstrap: kafka, topics: ['shop-binlog'], mappingEnv: 'shop', ...connection })
  await k2s.store.saveInstance({ name: 'crm-sync', kafkaBootstrap: kafka, topics: ['crm-binlog'], mappingEnv: 'crm', consumerPolicy: 'L-C', ...connection })
  await k2s.store.startInstance('shop-orders')
  const orders = Array.from({ length: 40 }, (_, i) => ({ value: canal('INSERT', 'shop', `orders_${i % 4}`, [{ id: String(i + 1), amount: `${(i * 7.5).toFixed(2)}`, status: 'paid' }]) }))
  await produce(kafka, 'shop-binlog', [...orders, { value: canal('INSERT', 'shop', 'refunds', [{ id: '1', amount: '3.00' }]) }])
  gone.kill('SIGKILL')
  await new Promise((resolve) => setTimeout(resolve, leaseMs * 2 + 1000))

  for (const lang of ['en', 'zh'] as const) {
    const context = await browser.newContext({ locale: lang === 'zh' ? 'zh-CN' : 'en-US', viewport })
    const page = await context.newPage()
    await page.goto(`${stack.url}/ui/`)
    await page.getByTestId('login-user').fill(consoleUser)
    if (lang === 'en') await shoot(page, 'login-en')
    await page.getByTestId('login-password').fill(consolePassword)
    await page.getByTestId('login-submit').click()
    await page.getByTestId('instances').waitFor()
    await page.getByTestId('rows-shop-orders').getByText('40').waitFor({ timeout: 30_000 })
    await shoot(page, `instances-${lang}`)

    await page.getByTestId('open-shop-orders').click()
    await page.getByTestId('chart-rowsPerSecond').waitFor()
    await page.getByTestId('per-partition').check()
    await page.getByTestId('chart-rowsPerSecond').locator('.u-legend').waitFor()
    await shoot(page, `instance-charts-${lang}`)
    await page.getByTestId('nav-instances').click()
    await page.getByTestId('instances').waitFor()

    await page.getByTestId('edit-shop-orders').click()
    await page.getByTestId('test-connection').click()
    await page.locator('[data-testid="check-feHttp"]').waitFor()
    await shoot(page, `instance-dialog-${lang}`)
    await page.keyboard.press('Escape')

    await page.getByTestId('nav-nodes').click()
    await page.getByTestId('node-status-node-old').waitFor()
    await shoot(page, `consumers-${lang}`)

    await page.getByTestId('nav-mapping').click()
    await page.getByTestId('env-shop').click()
    await page.getByTestId('rules').getByText('orders_(\\d+)').waitFor()
    await page.getByTestId('preview-message').fill(canal('UPDATE', 'shop', 'orders_2', [{ id: '12', amount: '99.00', status: 'refunded' }], { old: [{ status: 'paid' }] }))
    await page.getByTestId('run-preview').click()
    await page.getByTestId('preview-rows').waitFor()
    await shoot(page, `mapping-${lang}`)

    if (lang === 'en') {
      await page.getByTestId('edit-rule-1').click()
      await page.getByTestId('rule-dialog').waitFor()
      await shoot(page, 'mapping-rule-en')
      await page.keyboard.press('Escape')

      await page.getByTestId('nav-quarantine').click()
      await page.getByTestId('quarantine').waitFor({ timeout: 30_000 })
      await shoot(page, 'quarantine-en')

      await page.getByTestId('nav-queues').click()
      await page.frameLocator('[data-testid="queues-frame"]').locator('body').waitFor()
      await page.waitForTimeout(1500)
      await shoot(page, 'queues-en')
    }
    await context.close()
  }
  await shootDemo(browser)
} catch (err) {
  for (const context of browser.contexts()) for (const page of context.pages()) await page.screenshot({ path: new URL('failed.png', out).pathname })
  throw err
} finally {
  await browser.close()
  await stack.close()
}
process.exit(0)

/** `npm run demo` after a few minutes of its shop stream: the instance page and the quarantine. */
async function shootDemo(browser: Browser) {
  const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--rate', '20', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  demo.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString() })
  try {
    const deadline = Date.now() + 300_000
    while (!text.includes('Press Ctrl-C')) {
      if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`the demo did not start:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const [, url, password] = /Console: +(http:\/\/\S+)\/ +user admin, password (\S+)/.exec(text)!
    // Minutes of history for the charts (they count by minute).
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.K2S_DEMO_SHOT_AFTER_MS ?? 200_000)))
    const context = await browser.newContext({ locale: 'en-US', viewport })
    const page = await context.newPage()
    await page.goto(`${url}/ui/`)
    await page.getByTestId('login-user').fill('admin')
    await page.getByTestId('login-password').fill(password!)
    await page.getByTestId('login-submit').click()
    await page.getByTestId('instances').waitFor()
    await page.getByTestId('open-shop').click()
    await page.getByTestId('chart-range').selectOption('10')
    await page.getByTestId('chart-rowsPerSecond').locator('canvas').waitFor()
    await page.waitForTimeout(1000)
    await shoot(page, 'demo-instance-en')
    await page.getByTestId('instance-quarantined').click()
    await page.getByTestId('quarantine').waitFor()
    await shoot(page, 'demo-quarantine-en')
    await context.close()
  } finally {
    demo.kill('SIGINT')
    await new Promise((resolve) => demo.once('exit', resolve))
  }
}
