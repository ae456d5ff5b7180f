/**
 * A schema lookup on a pooled MySQL connection whose peer went silent (a network partition: no
 * answer, no reset) fails after the query timeout instead of hanging until TCP gives up, and the
 * next lookup, on a new connection, succeeds. The compose test's "StarRocks cut off from every
 * worker" found loaders stuck this way for good after the network came back.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, test } from 'node:test'
import { createSchemaCache } from '../../src/starrocks/starrocks-schema.ts'
import { startStarRocksEmulator, type StarRocksEmulator } from '../starrocks-emulator/index.ts'

/** Forwards TCP to a target until `silence()`: from then on it swallows every byte both ways. */
function relay(targetPort: number) {
  let silent = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => silent || upstream.write(chunk))
    upstream.on('data', (chunk) => silent || client.write(chunk))
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    silence: () => (silent = true),
    restore: () => (silent = false),
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let emu: StarRocksEmulator
const proxy = { current: undefined as ReturnType<typeof relay> | undefined }

before(async () => {
  emu = await startStarRocksEmulator()
  await emu.execute('CREATE DATABASE quiet')
  await emu.execute('CREATE TABLE quiet.t (id BIGINT NOT NULL, v VARCHAR(8)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1')
})

after(async () => {
  await proxy.current?.close()
  await emu.close()
})

// A timeout of its own: without the fix this lookup hangs, and so would the whole suite.
test('a lookup on a connection whose peer went silent times out; the next one uses a new connection', { timeout: 30_000 }, async () => {
  const r = (proxy.current = relay(emu.mysqlPort))
  const port = await r.listen()
  const schemas = createSchemaCache({ jdbcUrl: `jdbc:mysql://127.0.0.1:${port}/`, user: 'root', password: '' }, 60_000, 1_000)
  try {
    assert.equal((await schemas.table('quiet', 't'))?.model, 'PRIMARY')
    r.silence()
    schemas.invalidate('quiet', 't')
    const started = Date.now()
    await assert.rejects(schemas.table('quiet', 't'), /timeout/i)
    assert.ok(Date.now() - started < 5_000, `the silent lookup took ${Date.now() - started} ms`)
    // The pool dropped the dead connection: with the network back, a lookup opens a new one.
    r.restore()
    assert.equal((await schemas.table('quiet', 't'))?.model, 'PRIMARY')
  } finally {
    await schemas.close()
  }
})
