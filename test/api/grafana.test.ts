import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { adminFixture, instanceBody, mappingBody, type AdminFixture } from './api-fixtures.ts'

/**
 * dashboards/grafana/: the dashboard and the alert rules name only metrics and label values the
 * admin's /metrics really has, so neither goes quietly empty after a rename.
 */
const read = (file: string) => readFileSync(new URL(`../../dashboards/grafana/${file}`, import.meta.url), 'utf8')
const dashboard = JSON.parse(read('k2s-dashboard.json')) as { panels: { title: string; targets?: { expr: string }[] }[]; templating: { list: { definition?: string }[] } }
const rules = read('k2s-alerts.yml')

let api: AdminFixture
let exposed: string

before(async () => {
  api = await adminFixture('grafana')
  const token = await api.login()
  await api.call('POST', '/api/mapping-envs', { token, body: mappingBody('shop') })
  await api.call('POST', '/api/instances', { token, body: instanceBody('orders') })
  const res = await api.call('GET', '/metrics', { token })
  assert.equal(res.status, 200, res.text)
  exposed = res.text
})

after(() => api?.close())

const exprs = () => [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list.flatMap((v) => (v.definition ? [{ where: 'variable', expr: v.definition }] : [])),
  ...[...rules.matchAll(/^\s+- alert: (\w+)\n\s+expr: (.+)$/gm)].map((m) => ({ where: `alert ${m[1]}`, expr: m[2]! })),
]

test('every metric the dashboard and the alert rules name exists in /metrics', () => {
  const metrics = new Set([...exposed.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]))
  const all = exprs()
  assert.ok(all.length >= 15, `only ${all.length} expressions found: the files' shape changed`)
  for (const { where, expr } of all) {
    const named = [...expr.matchAll(/\bk2s_\w+/g)].map((m) => m[0])
    assert.ok(named.length > 0, `${where} names no K2S metric: ${expr}`)
    for (const name of named) assert.ok(metrics.has(name), `${where} uses ${name}, which /metrics does not have`)
  }
})

test('the state values the rules match on are states /metrics reports', () => {
  const states = new Set([...exposed.matchAll(/^k2s_instance_state\{instance="orders",state="(\w+)"\}/gm)].map((m) => m[1]))
  assert.ok(states.size >= 6, exposed)
  for (const { where, expr } of exprs()) for (const m of expr.matchAll(/state="(\w+)"/g)) assert.ok(states.has(m[1]), `${where} matches state ${m[1]}`)
})

test('the rules cover stalled, failed, lag seconds, growing quarantine and offline nodes, each with a summary', () => {
  const alerts = [...rules.matchAll(/- alert: (\w+)([\s\S]*?)(?=\n\s+- alert:|$)/g)]
  const named = Object.fromEntries(alerts.map((m) => [m[1], m[2]!]))
  for (const [alert, metric] of [
    ['K2SInstanceStalled', 'k2s_instance_state{state="stalled"}'],
    ['K2SInstanceFailed', 'k2s_instance_state{state="failed"}'],
    ['K2SLagSecondsHigh', 'k2s_instance_lag_seconds'],
    ['K2SQuarantineGrowing', 'k2s_instance_rows_quarantined_total'],
    ['K2SNodeOffline', 'k2s_node_online'],
  ]) {
    assert.ok(named[alert!]?.includes(metric!), `no alert ${alert} over ${metric}`)
    assert.match(named[alert!]!, /severity: (critical|warning)/)
    assert.match(named[alert!]!, /summary: ".+"/)
  }
})
