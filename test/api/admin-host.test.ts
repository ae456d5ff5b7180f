import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { after, test } from 'node:test'
import { freePort } from '../harness/free-port.ts'
import { eventually } from '../harness/k2s-node.ts'
import { testPrefix, testRedisUrl } from '../harness/redis-server.ts'

/**
 * `k2s admin` as started with no address in its configuration listens on loopback only, and on
 * exactly the address K2S_ADMIN_HOST names: the console and API are not offered to a network
 * nobody chose.
 */
const children: ChildProcess[] = []
after(() => {
  for (const child of children) child.kill('SIGKILL')
})

// This machine's address on a real interface; without one, only the loopback half can be checked.
const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => (socket.destroy(), resolve(false)))
  })
}

async function startAdmin(host: string | undefined): Promise<number> {
  const port = await freePort()
  const { K2S_ADMIN_HOST: _, ...inherited } = process.env
  const env = {
    ...inherited,
    K2S_REDIS_URL: await testRedisUrl(),
    K2S_REDIS_PREFIX: testPrefix('admin-host'),
    K2S_SECRET_KEY: randomBytes(32).toString('hex'),
    K2S_ADMIN_PORT: String(port),
    K2S_ADMIN_PASSWORD: 'admin-host-Pa55word',
    ...(host === undefined ? {} : { K2S_ADMIN_HOST: host }),
  }
  const child = spawn(process.execPath, ['bin/k2s.mjs', 'admin'], { stdio: ['ignore', 'pipe', 'pipe'], env })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  await eventually('the admin to listen', () => output.includes('admin API listening'), 30_000)
  return port
}

test('with no host configured the admin answers on 127.0.0.1 and not on the machine\'s network address', async () => {
  const port = await startAdmin(undefined)
  assert.equal(await reachable('127.0.0.1', port), true)
  if (external) assert.equal(await reachable(external, port), false, `the admin answered on ${external}`)
})

test('K2S_ADMIN_HOST names the one address it listens on', { skip: external ? false : 'no non-loopback IPv4 address here' }, async () => {
  const port = await startAdmin(external)
  assert.equal(await reachable(external!, port), true)
  assert.equal(await reachable('127.0.0.1', port), false, 'the admin answered on loopback too')
})
