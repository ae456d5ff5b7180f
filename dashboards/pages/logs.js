import { get, seg } from '../api.js'
import { h, modal, table } from '../dom.js'
import { t } from '../i18n.js'

/**
 * Recent log lines of a node or an instance, newest first, in a dialog.
 * @param {'nodes' | 'instances'} kind @param {string} name
 */
export async function showLogs(kind, name) {
  const body = h('div.logs', { 'data-testid': 'logs' }, h('p.muted', null, t('loading')))
  const dialog = modal({ title: t('logsOf', { name }), body, wide: true })
  try {
    const { logs } = await get(`/api/${kind}/${seg(name)}/logs?limit=200`)
    body.replaceChildren(table([
      { label: t('time'), cell: (l) => new Date(l.time).toLocaleTimeString(), class: 'nowrap' },
      { label: t('level'), cell: (l) => h(`span.badge.level-${l.level}`, null, l.level) },
      { label: t('node'), cell: (l) => l.node ?? '' },
      { label: t('message'), cell: (l) => h('span.mono', null, l.msg ?? '') },
    ], logs, { testid: 'log-lines', empty: t('noLogs') }))
  } catch (err) {
    body.replaceChildren(h('p.form-error', null, /** @type {Error} */ (err).message))
  }
  await dialog
}
