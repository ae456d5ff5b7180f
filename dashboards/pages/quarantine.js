import { del, get, post, seg } from '../api.js'
import { ago, attempt, busy, confirmDialog, fill, h, modal, table, toast } from '../dom.js'
import { t } from '../i18n.js'
import { may } from '../role.js'
import { helpPanel } from './help.js'

/**
 * Quarantine: what could not be loaded, per instance, with why, where it came from (offsets) and
 * a sample; replay once the cause is fixed, or discard (counted, never silent).
 */
const sampleChars = 4000

/** @type {import('../app.js').Page} */
export async function quarantinePage(root, ctx) {
  const { instances } = await get('/api/instances')
  const names = instances.map((/** @type {any} */ i) => i.name)
  let chosen = ctx.params.get('instance') ?? instances.find((/** @type {any} */ i) => i.quarantined > 0)?.name ?? names[0] ?? ''
  const select = h('select', { 'data-testid': 'quarantine-instance', onchange: () => ctx.go(`#/quarantine?instance=${seg(/** @type {HTMLSelectElement} */ (select).value)}`) },
    names.map((/** @type {string} */ n) => h('option', { value: n, selected: n === chosen }, n)))
  const list = h('div')
  fill(root, h('div.toolbar', null, h('span', null, t('instance')), select, h('span.muted.right', null, t('quarantineIntro'))), list, helpPanel('quarantine'))
  if (!chosen) return void fill(list, h('div.empty', null, t('noInstances')))
  // "Every batch was loaded" is only true of an instance that loaded one.
  const loadedABatch = (/** @type {string} */ name) => (instances.find((/** @type {any} */ i) => i.name === name)?.counters?.batches ?? 0) > 0

  async function load() {
    const { items } = await get(`/api/instances/${seg(chosen)}/quarantine`)
    fill(list, table([
      { label: t('when'), cell: (q) => ago(q.at) },
      { label: t('table'), cell: (q) => h('span.mono', null, q.table) },
      { label: t('reason'), cell: (q) => h('div', null, h('div', null, q.code ? t(q.code, q.params) : q.reason), q.column ? h('div.small', null, t('quarantineColumn', { column: q.column })) : null, q.details.slice(0, 3).map((/** @type {string} */ d) => h('div.muted.small', null, d))) },
      { label: t('offsets'), cell: (q) => h('span.mono', null, `${q.topic}[${q.partition}] ${q.firstOffset}…${q.lastOffset}`) },
      { label: t('rows'), class: 'num', cell: (q) => q.rows },
      { label: t('actions'), class: 'actions', cell: (q) => [
        h('button.link', { onclick: () => sample(q) }, t('sample')),
        may('operator') && q.replayable ? h('button.link', { 'data-testid': `replay-${q.id}`, onclick: (/** @type {MouseEvent} */ e) => replay(/** @type {HTMLButtonElement} */ (e.currentTarget), q) }, t('replay')) : null,
        may('operator') ? h('button.link.danger', { 'data-testid': `discard-${q.id}`, onclick: () => discard(q) }, t('discard')) : null,
      ] },
    ], items, { testid: 'quarantine', rowId: (q) => q.id, empty: t(loadedABatch(chosen) ? 'quarantineEmptyLoaded' : 'quarantineEmptyNoBatch') }))
  }

  /** @param {any} q */
  async function sample(q) {
    const item = await get(`/api/instances/${seg(chosen)}/quarantine/${seg(q.id)}`)
    const text = item.payload.length > sampleChars ? `${item.payload.slice(0, sampleChars)}\n… (${item.payload.length} ${t('chars')})` : item.payload
    await modal({ title: t('sampleOf', { table: q.table }), body: h('pre.rows', null, text), wide: true })
  }

  /** @param {HTMLButtonElement} button @param {any} q */
  async function replay(button, q) {
    await busy(button, async () => {
      button.textContent = t('replaying')
      if (await attempt(() => post(`/api/instances/${seg(chosen)}/quarantine/${seg(q.id)}/replay`))) toast(t('replayed', { rows: q.rows }))
    })
    await load()
  }

  /** @param {any} q */
  async function discard(q) {
    if (!(await confirmDialog(t('discard'), t('discardConfirm', { rows: q.rows, table: q.table })))) return
    await attempt(() => del(`/api/instances/${seg(chosen)}/quarantine/${seg(q.id)}`))
    await load()
  }

  await load()
  ctx.every(5000, () => load().catch(() => {}))
}
