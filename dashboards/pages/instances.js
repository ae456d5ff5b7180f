import { del, get, post, seg } from '../api.js'
import { ago, attempt, busy, confirmDialog, field, fill, h, modal, num, showIssues, table, toast } from '../dom.js'
import { t } from '../i18n.js'
import { may } from '../role.js'
import { helpPanel } from './help.js'
import { editInstance } from './instance-dialog.js'
import { showLogs } from './logs.js'
import { showSchema } from './schema-holds.js'
import { stateBadge } from './state-badge.js'

/**
 * Instances as they really are (never "running" for a dead consumer): state with its reason, the
 * node holding it, rows loaded and the rate, lag; start, stop, edit, copy, delete, logs, quarantine,
 * schema changes (held tables and drift).
 */
/** @type {import('../app.js').Page} */
export async function instancesPage(root, ctx) {
  const name = h('input', { type: 'search', placeholder: t('filterName'), 'data-testid': 'filter-name', oninput: draw })
  const cluster = h('select', { 'data-testid': 'filter-cluster', onchange: draw })
  const node = h('select', { 'data-testid': 'filter-node', onchange: draw })
  const status = h('select', { 'data-testid': 'filter-status', onchange: draw },
    h('option', { value: '' }, t('allStates')),
    ['running', 'starting', 'retrying', 'stalled', 'failed', 'stopped'].map((s) => h('option', { value: s }, t(`state_${s}`))))
  const list = h('div')
  /** @type {any[]} */
  let instances = []
  /** @type {Map<string, string>} node name → cluster */
  let clusterOf = new Map()
  fill(root,
    h('div.toolbar', null, name, cluster, node, status,
      may('operator') ? h('button.primary.right', { 'data-testid': 'new-instance', onclick: () => editInstance(null).then((saved) => { if (saved) return load() }) }, t('newInstance')) : null),
    list,
    helpPanel('instances'))

  /** @param {HTMLElement} select @param {string} all @param {string[]} values */
  const options = (select, all, values) => {
    const chosen = /** @type {HTMLSelectElement} */ (select).value
    fill(select, h('option', { value: '' }, all), values.map((v) => h('option', { value: v, selected: v === chosen }, v)))
  }

  async function load() {
    const [data, nodes] = await Promise.all([get('/api/instances'), get('/api/nodes')])
    instances = data.instances
    clusterOf = new Map(nodes.nodes.map((/** @type {any} */ n) => [n.name, n.cluster]))
    options(cluster, t('allClusters'), [...new Set(nodes.nodes.map((/** @type {any} */ n) => n.cluster).filter(Boolean))].sort())
    options(node, t('allNodes'), nodes.nodes.map((/** @type {any} */ n) => n.name).sort())
    draw()
  }

  function draw() {
    const [n, c, o, s] = [name, cluster, node, status].map((e) => /** @type {HTMLInputElement} */ (e).value.trim())
    const shown = instances.filter((i) =>
      (n === '' || i.name.includes(n)) &&
      (c === '' || clusterOf.get(i.runningOn) === c) &&
      (o === '' || i.runningOn === o) &&
      (s === '' || i.state === s))
    fill(list, table([
      { label: t('name'), class: 'name', cell: (i) => h('a', { href: `#/instance?name=${seg(i.name)}`, 'data-testid': `open-${i.name}` }, h('strong', null, i.name)) },
      { label: t('node'), class: 'name', cell: (i) => h('span', null, i.runningOn ?? '—') },
      { label: t('status'), cell: (i) => stateBadge(i) },
      { label: t('topics'), cell: (i) => i.topicPattern ? h('span.tag.mono', { title: t('topicPattern') }, i.topicPattern) : i.topics.map((/** @type {string} */ x) => h('span.tag', null, x)) },
      { label: t('mappingEnv'), cell: (i) => h('a', { href: `#/mapping?env=${seg(i.mappingEnv)}` }, i.mappingEnv) },
      { label: t('rowsLoaded'), class: 'num', cell: (i) => h('span', { 'data-testid': `rows-${i.name}` }, num(i.counters?.loadedRows ?? 0)) },
      { label: t('rowsPerSecond'), class: 'num', cell: (i) => num(i.rowsPerSecond) },
      { label: t('lag'), class: 'num', cell: (i) => lagText(i.lag) },
      { label: t('lastLoad'), class: 'nowrap', cell: (i) => ago(i.lastLoadAt) },
      { label: t('modified'), class: 'nowrap', cell: (i) => ago(i.updatedAt) },
      { label: t('actions'), class: 'actions', cell: actions },
    ], shown, { testid: 'instances', rowId: (i) => i.name, empty: instances.length ? t('noMatch') : h('span', null, t('noInstances'), ' ', h('a', { href: '#/mapping' }, t('navMapping'))) }))
  }

  /** @param {any} i */
  function actions(i) {
    const verb = i.desired === 'running' ? 'stop' : 'start'
    const operator = may('operator')
    return [
      operator ? h('button.link', { 'data-testid': `${verb}-${i.name}`, onclick: () => act(() => post(`/api/instances/${seg(i.name)}/${verb}`)) }, t(verb)) : null,
      operator ? h('button.link', { 'data-testid': `edit-${i.name}`, onclick: () => editInstance(i.name).then((saved) => { if (saved) return load() }) }, t('edit')) : null,
      operator ? h('button.link', { 'data-testid': `copy-${i.name}`, onclick: () => copy(i) }, t('copy')) : null,
      h('button.link', { 'data-testid': `log-${i.name}`, onclick: () => showLogs('instances', i.name) }, t('log')),
      h('a.link', { href: `#/quarantine?instance=${seg(i.name)}` }, t('navQuarantine'), i.quarantined ? ` (${i.quarantined})` : ''),
      h(i.schemaHeld ? 'button.link.danger' : 'button.link', { 'data-testid': `schema-${i.name}`, onclick: () => showSchema(i.name).then(load) }, t('schemaButton'), i.schemaHeld ? ` (${i.schemaHeld})` : ''),
      operator && i.desired === 'stopped' ? h('button.link.danger', { 'data-testid': `delete-${i.name}`, onclick: () => remove(i) }, t('delete')) : null,
    ]
  }

  /** @param {() => Promise<unknown>} work */
  async function act(work) {
    await attempt(work)
    await load()
  }

  /** @param {any} i */
  async function copy(i) {
    const copyName = h('input', { name: 'name', value: `${i.name}-copy`, 'data-testid': 'copy-name' })
    const form = h('form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      field('name', t('copyAs'), copyName, t('copyHint')), h('div.form-error', { role: 'alert' }))
    await modal({
      title: t('copyInstance', { name: i.name }),
      body: form,
      testid: 'copy-dialog',
      actions: (close) => [
        h('button', { onclick: close }, t('cancel')),
        h('button.primary', { 'data-testid': 'save-copy', onclick: (/** @type {MouseEvent} */ e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
          const name = /** @type {HTMLInputElement} */ (copyName).value.trim()
          try {
            await post(`/api/instances/${seg(i.name)}/copy`, { name })
            toast(t('copied', { name }))
            close()
          } catch (err) {
            const ae = /** @type {import('../api.js').ApiError} */ (err)
            showIssues(form, ae.issues ?? [], ae.message)
          }
        }) }, t('copy')),
      ],
    })
    await load()
  }

  /** @param {any} i */
  async function remove(i) {
    if (!(await confirmDialog(t('deleteInstance'), t('deleteInstanceConfirm', { name: i.name })))) return
    await act(() => del(`/api/instances/${seg(i.name)}`))
  }

  await load()
  ctx.every(2000, () => load().catch(() => {}))
}

/** Messages and seconds behind; `—` where unknown (stopped, or no fetcher has reported yet). @param {any} l */
export function lagText(l) {
  const figures = !l || (l.messages == null && l.seconds == null)
    ? '—'
    : [l.messages == null ? null : t('lagMessages', { n: num(l.messages) }), l.seconds == null ? null : t('lagSeconds', { n: num(l.seconds) })].filter(Boolean).join(' / ')
  // The figures stay on one line; the note that Kafka was slow may wrap under them.
  return l?.stale ? [figures, h('div.stale', null, t('lagStale'))] : figures
}
