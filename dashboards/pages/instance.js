import { get, seg } from '../api.js'
import { lineChart } from '../charts.js'
import { fill, h, num } from '../dom.js'
import { t } from '../i18n.js'
import { helpPanel } from './help.js'
import { lagText } from './instances.js'
import { stateBadge } from './state-badge.js'

/**
 * One instance: its state and figures, and charts of the last hour (or day) by minute: rows loaded
 * per second, lag in messages and in seconds, rows quarantined; for the instance, or one line per
 * topic partition on demand.
 */
/** @type {import('../app.js').Page} */
export async function instancePage(root, ctx) {
  const name = ctx.params.get('name') ?? ''
  const range = h('select', { 'data-testid': 'chart-range', onchange: () => draw() },
    [60, 10, 360, 1440].map((m) => h('option', { value: String(m) }, t(`range_${m}`))))
  const perPartition = h('input', { type: 'checkbox', 'data-testid': 'per-partition', onchange: () => draw() })
  const header = h('div.instance-head')
  const facts = h('dl.facts.wide')
  const boxes = ['rows', 'lagMessages', 'lagSeconds', 'quarantined'].map((key) => h('div.chart-box', { 'data-chart': key }))
  fill(root,
    h('div.toolbar', null,
      h('a', { href: '#/instances' }, `← ${t('navInstances')}`),
      header,
      h('div.right.toolbar-group', null,
        h('label.inline', null, t('chartRange'), ' ', range),
        h('label.inline', null, perPartition, ' ', t('perPartition')))),
    facts,
    h('div.charts', null, boxes),
    helpPanel('instance'))

  async function draw() {
    const minutes = /** @type {HTMLSelectElement} */ (range).value
    const parts = /** @type {HTMLInputElement} */ (perPartition).checked
    const [view, status, series] = await Promise.all([
      get(`/api/instances/${seg(name)}`),
      get(`/api/instances/${seg(name)}/status`),
      get(`/api/instances/${seg(name)}/series?minutes=${minutes}&partitions=${parts ? 1 : 0}`),
    ])
    fill(header, h('h2', { 'data-testid': 'instance-name' }, name), stateBadge({ name, ...status }))
    fill(facts,
      h('dt', null, t('node')), h('dd', null, status.runningOn ?? '—'),
      h('dt', null, t('topics')), h('dd', null, view.config.topics.map((/** @type {string} */ x) => h('span.tag', null, x))),
      h('dt', null, t('mappingEnv')), h('dd', null, h('a', { href: `#/mapping?env=${seg(view.config.mappingEnv)}` }, view.config.mappingEnv)),
      h('dt', null, t('rowsLoaded')), h('dd', { 'data-testid': 'instance-rows' }, num(status.counters?.loadedRows ?? 0)),
      h('dt', null, t('rowsPerSecond')), h('dd', null, num(status.rowsPerSecond)),
      h('dt', null, t('lag')), h('dd', null, lagText(status.lag)),
      h('dt', null, t('navQuarantine')), h('dd', null, h('a', { href: `#/quarantine?instance=${seg(name)}`, 'data-testid': 'instance-quarantined' }, num(status.quarantined))))

    /** @param {'rowsPerSecond' | 'lagMessages' | 'lagSeconds' | 'quarantinedRows'} key */
    const lines = (key) => parts && series.partitions?.length
      ? series.partitions.map((/** @type {any} */ p) => ({ label: `${p.topic}/${p.partition}`, values: p[key] }))
      : [{ label: name, values: series[key] }]
    const specs = [
      { title: t('chartRows'), key: /** @type {const} */ ('rowsPerSecond'), unit: '' },
      { title: t('chartLagMessages'), key: /** @type {const} */ ('lagMessages'), unit: '' },
      { title: t('chartLagSeconds'), key: /** @type {const} */ ('lagSeconds'), unit: ' s' },
      { title: t('chartQuarantined'), key: /** @type {const} */ ('quarantinedRows'), unit: '' },
    ]
    await Promise.all(specs.map((s, i) => lineChart(boxes[i], { title: s.title, minutes: series.minutes, lines: lines(s.key), unit: s.unit, testid: `chart-${s.key}` })))
  }

  await draw()
  ctx.every(15_000, () => draw().catch(() => {}))
}
