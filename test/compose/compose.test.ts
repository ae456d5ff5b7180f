import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { compareAll, isExact, type TableReport } from '../fault/compare.ts'
import { blobTable, createTableStatements, faultTables, mappingFor, strictTable, type Row } from '../fault/stream.ts'
import { adminClient, type AdminClient, type InstanceStatus, type NodeView } from './admin-client.ts'
import { cdcFeed, type CdcFeed } from './cdc-feed.ts'
import { composeProject, progress, repoRoot, type Container } from './compose-project.ts'
import { targetTables, type TargetTables } from './target-tables.ts'

/**
 * K2S under docker compose, for real (issue #13): docker-compose.yml with the test overlay
 * (docker-compose.test.yml: local Kafka and Redis images, the StarRocks emulator), driven with the
 * README's own compose commands. One instance, created through the admin API, loads a seeded canal
 * stream (Primary Key and Duplicate Key tables, updates that change the key, deletes) that flows
 * from the host while the deployment is scaled, a fetcher container is killed, and containers are
 * cut off their peers with `docker network disconnect`; after each step StarRocks must hold exactly
 * the oracle's replay of what was produced, with every offset committed: nothing lost, nothing
 * twice. During each network cut the admin API (what the console shows) must say what is wrong.
 *
 * Needs a Docker engine and docker-compose (scripts/setup.sh starts one where it can); skipped
 * without them, except on CI, where that fails.
 */
const project = composeProject('k2s-compose-test')
const instance = 'shop'
const db = 'shop'
const tables = [...faultTables.map((t) => t.name), strictTable, blobTable]
const cut = { holdMs: 15_000, fetcherHoldMs: 20_000 }
const results: Record<string, unknown> = {}
let failed = false

let admin: AdminClient
let target: TargetTables
let feed: CdcFeed

describe('docker compose with the test overlay', { skip: engineMissing() }, () => {
  before(async () => {
    await project.readme('docker-compose down -v')
    await project.readme('bash docker/test/build-images.sh', 900_000)
    results.buildMs = (await project.readme('docker-compose build', 900_000)).ms
    const k2s = await project.imageBytes('k2s:local')
    const base = await project.imageBytes('node:20-bookworm-slim')
    results.image = { k2sBytes: k2s, baseBytes: base, k2sOwnBytes: k2s - base }
    progress(`image k2s:local ${mb(k2s)} (node:20-bookworm-slim ${mb(base)} + K2S ${mb(k2s - base)})`)
  })

  after(async () => {
    await feed?.close()
    await target?.close().catch(() => {})
    const dir = `${repoRoot}.cache/compose-test`
    mkdirSync(dir, { recursive: true })
    writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`)
    progress(`results: ${dir}/results.json`)
    if (failed) {
      const logs = `${dir}/logs-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`
      await project.shell(`docker-compose logs --no-color --timestamps > '${logs}' 2>&1`, 120_000).catch(() => {})
      progress(`a step failed: every container's log is in ${logs}`)
    }
    if (process.env.K2S_COMPOSE_KEEP === '1') progress(`left running (K2S_COMPOSE_KEEP=1): COMPOSE_PROJECT_NAME=${project.name}`)
    else await project.readme('docker-compose down -v')
  })

  test('up --scale worker=3: the fetcher and three workers online with their container addresses; an instance made through the API loads a canal stream exactly', async () => {
    await step(async () => {
      const upAt = Date.now()
      await project.readme('docker-compose up -d --scale worker=3')
      const [adminC, kafkaC, starrocksC] = await Promise.all(['admin', 'kafka', 'starrocks'].map((s) => project.only(s)))
      admin = adminClient(`http://${adminC!.addresses['redis-net']}:8080`)
      await eventually('the admin API answers a login', () => admin.login('admin', project.adminPassword).then(() => true), 90_000)
      progress(`  the admin API answers, ${seconds(Date.now() - upAt)} after up`)
      target = await targetTables(starrocksC!.addresses['starrocks-net']!, 9030)
      for (const sql of createTableStatements(db)) await target.execute(sql)
      const kafkaAddress = kafkaC!.addresses['kafka-net']!
      feed = cdcFeed({ hosts: { kafka: kafkaAddress }, bootstrap: `${kafkaAddress}:9092`, topic: 'shop-binlog', instance, db, partitions: 4, seed: 1313, rows: 60_000, perTick: 12, tickMs: 250 })
      await feed.createTopic()
      await admin.call('POST', '/api/mapping-envs', mappingFor(instance, db))
      await admin.call('POST', '/api/instances', {
        name: instance,
        kafkaBootstrap: 'kafka:9092',
        topics: [feed.topic],
        mappingEnv: instance,
        jdbcUrl: 'jdbc:mysql://starrocks:9030/',
        feHost: 'starrocks',
        feHttpPort: 8030,
        userName: 'root',
        passWord: '',
        consumerPolicy: 'E-C',
        commitBatch: 500,
        commitTimeout: 200,
        loadTimeoutMs: 10_000,
        retryBackoffMs: 200,
        retryBackoffMaxMs: 2_000,
        stallAfterMs: 5_000,
      })
      await admin.call('POST', `/api/instances/${instance}/start`)
      await feed.send(12)
      progress(`  tables, topic and instance made, instance started, first messages sent, ${seconds(Date.now() - upAt)} after up`)
      await eventually('the first row in StarRocks', async () => (await Promise.all(tables.map((t) => target.count(db, t)))).some((n) => n > 0), 120_000, 100)
      results.upToFirstRowMs = Date.now() - upAt
      progress(`up → first row loaded: ${(Number(results.upToFirstRowMs) / 1000).toFixed(1)} s`)

      await expectNodes({ fetchers: 1, workers: 3 })
      await flowFor(5_000)
      results.firstLoad = await converge('the first load', Date.now())
      await sleep(10_000)
      results.memoryAtRest = await memory('at rest after the first load')
    })
  })

  test('--scale worker=1 and back to 4 while rows flow: exact', async () => {
    await step(async () => {
      const flow = feed.flow()
      await sleep(2_000)
      await project.readme('docker-compose up -d --scale worker=1')
      await sleep(3_000)
      await project.readme('docker-compose up -d --scale worker=4')
      await expectNodes({ fetchers: 1, workers: 4 })
      await sleep(2_000)
      await stopFlow(flow)
      results.scale = await converge('scaling workers 3 → 1 → 4', Date.now())
    })
  })

  test('kill of the fetcher container mid-stream with a second fetcher running: failover, exact', async () => {
    await step(async () => {
      await project.readme('docker-compose up -d --scale fetcher=2 --scale worker=4')
      await expectNodes({ fetchers: 2, workers: 4 })
      const flow = feed.flow()
      await sleep(2_000)
      const victim = await ownerContainer()
      await project.kill(victim)
      const killedAt = Date.now()
      progress(`killed ${victim.name}, which ran the instance`)
      const next = await eventually('another fetcher takes the instance', async () => {
        const s = await admin.status(instance)
        return s.runningOn !== null && s.runningOn !== nodeName(victim) ? s.runningOn : null
      }, 60_000)
      const failoverMs = Date.now() - killedAt
      progress(`  ${next} runs it ${(failoverMs / 1000).toFixed(1)} s after the kill`)
      await sleep(3_000)
      await stopFlow(flow)
      const recovery = await converge('the fetcher failover', killedAt)
      results.killFetcher = { victim: victim.name, failoverMs, ...recovery }
      // Whatever the restart policy made of the killed container, the deployment gets its two back.
      await project.readme('docker-compose up -d --scale fetcher=2 --scale worker=4')
      await expectNodes({ fetchers: 2, workers: 4 })
    })
  })

  describe('network partitions (docker network disconnect / connect) mid-stream', () => {
    test('a worker cut off from Redis: nothing lost or twice, the console shows it offline', async () => {
      await step(async () => {
        const victim = (await project.running('worker'))[0]!
        const report = await partition({
          what: `${victim.name} cut off from Redis`,
          holdMs: cut.holdMs,
          cut: () => project.disconnect(victim, 'redis-net'),
          heal: () => project.connect(victim, 'redis-net'),
          watch: (nodes) => (nodeOf(nodes, victim)?.status === 'offline' ? `node ${nodeName(victim)} offline` : null),
          rejoin: [victim],
        })
        results.workerCutFromRedis = report
      })
    })

    test('a fetcher cut off from Redis but still reaching Kafka and StarRocks (split brain): nothing lost or twice, the console shows it offline and the instance moves', async () => {
      await step(async () => {
        await expectNodes({ fetchers: 2, workers: 4 })
        let victim: Container | undefined
        let movedTo: string | null = null
        const report = await partition({
          what: 'the fetcher running the instance cut off from Redis',
          holdMs: cut.fetcherHoldMs,
          cut: async () => {
            victim = await ownerContainer()
            await project.disconnect(victim, 'redis-net')
          },
          heal: () => project.connect(victim!, 'redis-net'),
          watch: (nodes, status) => {
            if (status.runningOn !== null && status.runningOn !== nodeName(victim!)) movedTo = status.runningOn
            return nodeOf(nodes, victim!)?.status === 'offline' ? `node ${nodeName(victim!)} offline` : null
          },
          rejoin: () => [victim!],
        })
        results.fetcherCutFromRedis = { ...report, victim: victim?.name, instanceMovedTo: movedTo }
        assert.ok(movedTo, `the instance should move to the other fetcher while ${victim?.name} is cut off`)
      })
    })

    test('StarRocks cut off from every worker: nothing lost or twice, the instance says it is retrying and why', async () => {
      await step(async () => {
        const workers = await project.running('worker')
        const report = await partition({
          what: `StarRocks cut off from all ${workers.length} workers`,
          holdMs: cut.holdMs,
          cut: () => Promise.all(workers.map((w) => project.disconnect(w, 'starrocks-net'))).then(() => {}),
          heal: () => Promise.all(workers.map((w) => project.connect(w, 'starrocks-net'))).then(() => {}),
          watch: (_nodes, status) => (status.state === 'retrying' || status.state === 'stalled') && status.reason !== '' ? `${status.state}: ${status.reason}` : null,
          rejoin: [],
        })
        results.starrocksCutFromWorkers = report
      })
    })
  })

  test('memory per container at rest, after the whole run', async () => {
    await step(async () => {
      await sleep(10_000)
      results.memoryAtEnd = await memory('at rest after the whole run')
      const produced = feed.produced()
      results.produced = produced
      progress(`${produced.messages} canal messages (${produced.rows} row changes) loaded exactly through every step`)
    })
  })
})

/** Skip reason, or false. On CI a missing engine is a failure, not a skip. */
function engineMissing(): string | false {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 30_000 })
    execFileSync('docker-compose', ['version'], { stdio: 'ignore', timeout: 30_000 })
    return false
  } catch {
    const reason = 'no Docker engine or no docker-compose here (bash scripts/setup.sh installs and starts them as root)'
    if (process.env.CI) {
      test('docker compose with the test overlay', () => assert.fail(`CI must run the compose test: ${reason}`))
      return 'see the failure above'
    }
    return reason
  }
}

/** Runs one test's body; remembers a failure, so that `after` keeps every container's log. */
async function step(body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (error) {
    failed = true
    throw error
  }
}

type PartitionPlan = {
  what: string
  holdMs: number
  cut(): Promise<void>
  heal(): Promise<void>
  /** What the console says that shows the fault, from the nodes list and the instance's status; null: nothing yet. */
  watch(nodes: NodeView[], status: InstanceStatus): string | null
  /** Containers that must be online again after the heal. */
  rejoin: Container[] | (() => Container[])
}

type PartitionReport = {
  /** When the console first showed the fault, after the cut. */
  shownAfterMs: number
  shown: string
  /** The instance's states (with reasons) seen while cut off. */
  statesSeen: string[]
  /** Per partition: committed offsets at the cut and at the heal (which partitions moved meanwhile). */
  committedDuringCut: string
  /**
   * Per partition, the longest time its committed offset stood still while the cut lasted (rows
   * flow into every partition all along, and a batch waits at most commitTimeout, 200 ms).
   */
  longestStandstillMs: Record<string, number>
  recoveryMs: number
  rowsExpected: number
}

/** Rows flowing, one cut held for holdMs while the console is watched, healed, then exact. */
async function partition(plan: PartitionPlan): Promise<PartitionReport> {
  const flow = feed.flow()
  await sleep(2_000)
  const before = await committedOffsets()
  await plan.cut()
  const cutAt = Date.now()
  progress(`cut: ${plan.what}`)
  let shown: { text: string; afterMs: number } | null = null
  // Told apart by their words, not their numbers (seconds stalled, messages behind, labels' offsets).
  const statesSeen = new Map<string, string>()
  const standstill = standstillMeter(before, cutAt)
  while (Date.now() - cutAt < plan.holdMs) {
    const [nodes, status] = await Promise.all([admin.nodes(), admin.status(instance)])
    standstill.sample(await committedOffsets().catch(() => null))
    const state = status.reason ? `${status.state} (${status.reason})` : status.state
    if (!statesSeen.has(state.replace(/\d+/g, '#'))) statesSeen.set(state.replace(/\d+/g, '#'), state)
    const text = plan.watch(nodes, status)
    if (text && !shown) {
      shown = { text, afterMs: Date.now() - cutAt }
      progress(`  the console says: ${text} (${(shown.afterMs / 1000).toFixed(1)} s after the cut)`)
    }
    await sleep(500)
  }
  const during = await committedOffsets()
  standstill.sample(during)
  await plan.heal()
  const healedAt = Date.now()
  progress(`healed after ${seconds(healedAt - cutAt)}; states seen meanwhile: ${[...statesSeen.values()].join(' | ')}`)
  progress(`  longest standstill of each partition's committed offset meanwhile: ${Object.entries(standstill.longest()).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`)
  const rejoin = typeof plan.rejoin === 'function' ? plan.rejoin() : plan.rejoin
  for (const c of rejoin) {
    await eventually(`${c.name} online again after the heal`, async () => nodeOf(await admin.nodes(), c)?.status === 'online', 60_000)
  }
  await sleep(2_000)
  await stopFlow(flow)
  const recovery = await converge(plan.what, healedAt)
  assert.ok(shown, `while ${plan.what}, the console never said what is wrong; it showed: ${[...statesSeen.values()].join(' | ')}`)
  return {
    shownAfterMs: shown.afterMs,
    shown: shown.text,
    statesSeen: [...statesSeen.values()],
    committedDuringCut: [...before.keys()].map((p) => `p${p} ${before.get(p)}→${during.get(p)}`).join(', '),
    longestStandstillMs: standstill.longest(),
    recoveryMs: recovery.recoveryMs,
    rowsExpected: recovery.rowsExpected,
  }
}

/**
 * Waits until StarRocks holds exactly the replay of what was produced and every offset is
 * committed; then looks again after a pause (a late re-run or an old fetcher's batch would show).
 * The time from `since` to that moment is the step's recovery time.
 */
async function converge(what: string, since: number, deadlineMs = 150_000): Promise<{ recoveryMs: number; rowsExpected: number }> {
  const kafkaProblem = await feed.kafkaHoldsWhatWasSent()
  assert.equal(kafkaProblem, null, `the producer's messages: ${kafkaProblem}`)
  const expected = feed.expected()
  const deadline = Date.now() + deadlineMs
  let reports: TableReport[] = []
  for (;;) {
    reports = await compareNow(expected)
    if (isExact(reports) && (await feed.allCommitted())) break
    if (Date.now() > deadline) assert.fail(`${what}: StarRocks is not the replay ${deadlineMs / 1000} s on (or offsets not all committed):\n${describeTables(reports)}`)
    await sleep(500)
  }
  const recoveryMs = Date.now() - since
  await sleep(2_000)
  reports = await compareNow(expected)
  assert.ok(isExact(reports), `${what}: rows changed after converging:\n${describeTables(reports)}`)
  const status = await admin.status(instance)
  assert.equal(status.quarantined, 0, `${what}: nothing should be quarantined`)
  const rowsExpected = reports.reduce((n, r) => n + r.expected, 0)
  progress(`  exact: ${rowsExpected} rows in ${reports.length} tables, every offset committed, ${(recoveryMs / 1000).toFixed(1)} s after ${what.startsWith('the first') ? 'the flow stopped' : 'the fault'}`)
  return { recoveryMs, rowsExpected }
}

async function compareNow(expected: ReturnType<CdcFeed['expected']>): Promise<TableReport[]> {
  const rows = new Map<string, Row[]>()
  for (const t of tables) rows.set(t, await target.rows(db, t))
  return compareAll(expected, (t) => rows.get(t) ?? [])
}

function describeTables(reports: TableReport[]): string {
  return reports.map((r) => `  ${r.table}: expected ${r.expected}, found ${r.found}, missing ${r.missing}, duplicated ${r.duplicated}, unexpected ${r.unexpected}${r.samples.length ? `; ${r.samples.join(' | ')}` : ''}`).join('\n')
}

async function flowFor(ms: number): Promise<void> {
  const flow = feed.flow()
  await sleep(ms)
  await stopFlow(flow)
}

async function stopFlow(flow: ReturnType<CdcFeed['flow']>): Promise<void> {
  const { exhausted } = await flow.stop()
  assert.equal(exhausted, false, 'the generated stream ran out: generate more rows')
}

/** The K2S node name of a container: the default, `<host name>-<node port>`. */
function nodeName(c: Container): string {
  return `${c.hostname}-10002`
}

function nodeOf(nodes: NodeView[], c: Container): NodeView | undefined {
  return nodes.find((n) => n.name === nodeName(c))
}

/**
 * Every running fetcher and worker container is an online node with the right role, registered
 * under one of the container's own addresses; and there are as many as asked.
 */
async function expectNodes(want: { fetchers: number; workers: number }): Promise<void> {
  let problem = ''
  await eventually(`${want.fetchers} fetcher and ${want.workers} worker nodes online`, async () => {
    const [fetchers, workers, nodes] = await Promise.all([project.running('fetcher'), project.running('worker'), admin.nodes()])
    problem = ''
    if (fetchers.length !== want.fetchers || workers.length !== want.workers) problem = `${fetchers.length} fetcher and ${workers.length} worker containers run`
    for (const [c, role] of [...fetchers.map((c) => [c, 'fetcher'] as const), ...workers.map((c) => [c, 'loader'] as const)]) {
      const node = nodeOf(nodes, c)
      if (!node || node.status !== 'online') problem ||= `${c.name} is not an online node`
      else if (!node.roles.includes(role) || node.roles.length !== 1) problem ||= `${c.name} has roles ${node.roles.join(',')}`
      else if (!Object.values(c.addresses).includes(node.address)) problem ||= `${c.name} registered ${node.address}, not one of its addresses ${Object.values(c.addresses).join(', ')}`
    }
    return problem === ''
  }, 90_000).catch((error: Error) => assert.fail(`${error.message}: ${problem}`))
  const nodes = await admin.nodes()
  const list = [...(await project.running('fetcher')), ...(await project.running('worker'))].map((c) => `${c.name} ${nodeOf(nodes, c)!.address}`)
  progress(`  online: ${list.join(', ')}`)
}

async function ownerContainer(): Promise<Container> {
  const owner = await eventually('a fetcher runs the instance', async () => (await admin.status(instance)).runningOn, 60_000)
  const found = (await project.running('fetcher')).find((c) => nodeName(c) === owner)
  assert.ok(found, `the instance runs on ${owner}, which is no running fetcher container`)
  return found
}

/** Per partition, the longest stretch without a new committed offset, from samples taken over time. */
function standstillMeter(start: Map<number, string | null>, startedAt: number) {
  const last = new Map([...start].map(([p, offset]) => [p, { offset, since: startedAt }]))
  const longest = new Map<number, number>()
  return {
    sample(offsets: Map<number, string | null> | null, at = Date.now()) {
      for (const [p, offset] of offsets ?? []) {
        const seen = last.get(p) ?? { offset: null, since: startedAt }
        if (offset !== seen.offset) last.set(p, { offset, since: at })
        longest.set(p, Math.max(longest.get(p) ?? 0, at - (last.get(p)?.since ?? at)))
      }
    },
    longest: () => Object.fromEntries([...longest].sort(([a], [b]) => a - b).map(([p, ms]) => [`p${p}`, ms])),
  }
}

async function committedOffsets(): Promise<Map<number, string | null>> {
  const lag = await admin.call<{ partitions: Array<{ partition: number; committed: string | null }> }>('GET', `/api/instances/${instance}/lag`)
  return new Map(lag.partitions.map((p) => [p.partition, p.committed]))
}

async function memory(when: string): Promise<Record<string, number>> {
  const usage = await project.memory()
  progress(`memory ${when}: ${usage.map((u) => `${u.name.replace(`${project.name}_`, '')} ${mb(u.bytes)}`).join(', ')}`)
  return Object.fromEntries(usage.map((u) => [u.name.replace(`${project.name}_`, ''), u.bytes]))
}

/** Polls `probe` until it returns something other than false/null/undefined, and returns that. */
async function eventually<T>(what: string, probe: () => Promise<T | null | false | undefined>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError = ''
  for (;;) {
    try {
      const value = await probe()
      if (value !== null && value !== false && value !== undefined) return value
    } catch (error) {
      lastError = (error as Error).message
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`)
    await sleep(everyMs)
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`
}
