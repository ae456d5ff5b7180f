import { del, get, post, seg } from '../api.js'
import { ago, attempt, confirmDialog, fill, h, modal, table, toast } from '../dom.js'
import { t } from '../i18n.js'
import { may } from '../role.js'
import { helpPanel } from './help.js'
import { showLogs } from './logs.js'
import { stateBadge } from './state-badge.js'

/**
 * Consumer nodes: who is online (heartbeat younger than the lease), what each runs; details with
 * the node's instances, its recent log, and removing a node that is gone.
 */
/** @type {import('../app.js').Page} */
export async function nodesPage(root, ctx) {
  // Option values: '' is every cluster, '=<name>' one cluster ('=' the nodes with none), so
  // "(no cluster)" is an option of its own and never the one the page opens on.
  const cluster = h('select', { 'data-testid': 'filter-cluster', onchange: draw }, h('option', { value: '' }, t('allClusters')))
  const address = h('input', { type: 'search', placeholder: t('filterAddress'), 'data-testid': 'filter-address', oninput: draw })
  const list = h('div')
  /** @type {any[]} */
  let nodes = []
  let leaseMs = 0
  fill(root, h('div.toolbar', null, cluster, address, h('span.muted.right', null, t('autoRefresh'))), list, helpPanel('nodes'))

  async function load() {
    const data = await get('/api/nodes')
    nodes = data.nodes
    leaseMs = data.leaseMs
    const clusters = [...new Set(nodes.map((n) => n.cluster))].sort()
    const chosen = /** @type {HTMLSelectElement} */ (cluster).value
    fill(cluster, h('option', { value: '', selected: chosen === '' }, t('allClusters')), clusters.map((c) => h('option', { value: `=${c}`, selected: `=${c}` === chosen }, c || t('noCluster'))))
    draw()
  }

  function draw() {
    const c = /** @type {HTMLSelectElement} */ (cluster).value
    const a = /** @type {HTMLInputElement} */ (address).value.trim()
    const shown = nodes.filter((n) => (c === '' || `=${n.cluster}` === c) && (a === '' || `${n.address}:${n.port}`.includes(a)))
    fill(list, table([
      { label: t('cluster'), cell: (n) => n.cluster || '—' },
      { label: t('name'), cell: (n) => h('strong', null, n.name) },
      { label: t('address'), cell: (n) => h('span.mono', null, `${n.address}:${n.port}`) },
      { label: t('roles'), cell: (n) => n.roles.map((/** @type {string} */ r) => h('span.tag', null, t(`role_${r}`))) },
      { label: t('status'), cell: (n) => h('span', { 'data-testid': `node-status-${n.name}` },
        h(`span.badge.${n.status === 'online' ? 'ok' : 'bad'}`, null, t(n.status)), ' ', h('span.muted', null, t('heartbeat'), ' ', ago(n.lastHeartbeat))) },
      { label: t('version'), cell: (n) => n.version || '—' },
      { label: t('runningInstances'), cell: (n) => (n.instances.length ? n.instances.join(', ') : '—') },
      { label: t('actions'), class: 'actions', cell: (n) => [
        h('button.link', { 'data-testid': `details-${n.name}`, onclick: () => details(n) }, t('details')),
        h('button.link', { onclick: () => showLogs('nodes', n.name) }, t('log')),
        may('operator') && n.status === 'offline' ? h('button.link.danger', { 'data-testid': `remove-node-${n.name}`, onclick: () => remove(n) }, t('remove')) : null,
      ] },
    ], shown, { testid: 'nodes', rowId: (n) => n.name, empty: nodes.length ? t('noMatch') : t('noNodes') }))
  }

  /** @param {any} node */
  async function remove(node) {
    if (!(await confirmDialog(t('removeNode'), t('removeNodeConfirm', { name: node.name })))) return
    if (await attempt(() => del(`/api/nodes/${seg(node.name)}`))) toast(t('removed', { name: node.name }))
    await load()
  }

  /** @param {any} node */
  async function details(node) {
    const body = h('div', null, h('p.muted', null, t('loading')))
    const dialog = modal({ title: t('nodeDetails', { name: node.name }), body, wide: true, testid: 'node-details' })
    const drawDetails = async () => {
      const { instances } = await get('/api/instances')
      const mine = instances.filter((/** @type {any} */ i) => i.runningOn === node.name || node.instances.includes(i.name))
      fill(body,
        h('dl.facts', null,
          h('dt', null, t('address')), h('dd', null, `${node.address}:${node.port}`),
          h('dt', null, t('started')), h('dd', null, new Date(node.startedAt).toLocaleString()),
          h('dt', null, t('leaseMs')), h('dd', null, `${leaseMs} ms`)),
        table([
          { label: t('name'), cell: (i) => i.name },
          { label: t('status'), cell: (i) => stateBadge(i) },
          { label: t('actions'), class: 'actions', cell: (i) => !may('operator') ? null : i.desired === 'running'
            ? h('button.link', { 'data-testid': `node-stop-${i.name}`, onclick: async () => { await attempt(() => post(`/api/instances/${seg(i.name)}/stop`)); await drawDetails() } }, t('stop'))
            : h('button.link', { 'data-testid': `node-start-${i.name}`, onclick: async () => { await attempt(() => post(`/api/instances/${seg(i.name)}/start`)); await drawDetails() } }, t('start')) },
        ], mine, { testid: 'node-instances', empty: t('nodeRunsNothing') }))
    }
    await drawDetails().catch((err) => fill(body, h('p.form-error', null, err.message)))
    await dialog
  }

  await load()
  ctx.every(3000, () => load().catch(() => {}))
}
