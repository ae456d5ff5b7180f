import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { after, test } from 'node:test'
import mysql from 'mysql2/promise'
import { demoDdlStep, demoFirstPoisonStep } from '../../scripts/demo-shop-stream.ts'
import { eventually } from '../harness/k2s-node.ts'
import { freePort } from '../harness/free-port.ts'

/**
 * `npm run demo` as a newcomer runs it: its own Kafka, emulator and K2S come up, the shop stream
 * flows, rows land in the emulator (deletes and key changes applied), the poison message waits in
 * the quarantine, and Ctrl-C stops everything.
 */
let demo: ChildProcess | undefined

// A failed test still stops the demo as a user would (Ctrl-C), so its Kafka and K2S do not outlive it.
after(async () => {
  if (!demo || demo.exitCode !== null) return
  const exited = new Promise((resolve) => demo!.once('exit', resolve))
  demo.kill('SIGINT')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))])
  if (demo.exitCode === null) demo.kill('SIGKILL')
})

test('the demo loads the shop stream, quarantines the poison message and stops on Ctrl-C', async () => {
  const port = await freePort()
  demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--rate', '40', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  demo.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString() })
  demo.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await eventually('the demo says it runs', () => out.includes('Press Ctrl-C') || demo!.exitCode !== null, 240_000)
  assert.ok(out.includes('Press Ctrl-C'), out)

  const url = /Console: +(http:\/\/\S+)\/ +user admin, password (\S+)/.exec(out)
  const mysqlPort = /-P (\d+) -u root/.exec(out)
  assert.ok(url && mysqlPort, out)
  assert.equal(url[1], `http://127.0.0.1:${port}`)

  const db = await mysql.createConnection({ host: '127.0.0.1', port: Number(mysqlPort[1]), user: 'root' })
  const ids = async () => new Set(((await db.query('SELECT id FROM dw.orders'))[0] as { id: string }[]).map((r) => String(r.id)))
  try {
    // Past the step that renumbers order 1010 (step 11) and the one that deletes 1002 (step 7).
    await eventually('orders loaded, a key change and a delete applied', async () => {
      const loaded = await ids()
      return loaded.size > 20 && loaded.has('1001010') && !loaded.has('1010') && !loaded.has('1002') && loaded.has('1003')
    }, 90_000)
    const customers = (await db.query('SELECT COUNT(*) AS n FROM dw.customers'))[0] as { n: number }[]
    assert.equal(Number(customers[0]!.n), 8)
  } finally {
    await db.end()
  }

  const login = await fetch(`${url[1]}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: url[2] }) })
  assert.equal(login.status, 200)
  const { token } = (await login.json()) as { token: string }
  const get = async (path: string) => (await fetch(`${url[1]}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>
  assert.ok(demoFirstPoisonStep > demoDdlStep)
  await eventually('the poison message in the quarantine, the DDL skipped', async () => {
    const { items } = await get('/api/instances/shop/quarantine')
    const status = await get('/api/instances/shop/status')
    return items.some((i: { payloadKind: string }) => i.payloadKind === 'raw') && status.counters['skipped.ddl'] === 1 && status.state === 'running'
  }, 60_000)

  demo.kill('SIGINT')
  const code = await new Promise<number | null>((resolve) => demo!.once('exit', resolve))
  assert.equal(code, 0, out)
  await assert.rejects(fetch(`${url[1]}/api/health`), 'K2S still answers after Ctrl-C')
})
