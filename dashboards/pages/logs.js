import { get, seg } from '../api.js'
import { h, modal, table } from '../dom.js'
import { t } from '../i18n.js'

// pino's own bookkeeping and what the columns already show: no help in telling what went wrong.
const quiet = new Set(['name', 'pid', 'hostname', 'v', 'role'])

/**
 * The fields that explain a line (the error above all, then where: topic, partition, offsets…),
 * as `key: value` under its message.
 * @param {Record<string, unknown>} fields
 */
function explain(fields) {
  const shown = Object.entries(fields).filter(([key]) => !quiet.has(key))
  if (shown.length === 0) return null
  shown.sort(([a], [b]) => Number(b === 'err' || b === 'reason') - Number(a === 'err' || a === 'reason'))
  return h('dl.log-fields', { 'data-testid': 'log-fields' }, shown.map(([key, value]) => [
    h('dt', null, key),
    h('dd.mono', null, typeof value === 'string' ? value : JSON.stringify(value)),
  ]))
}

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
      { label: t('message'), cell: (l) => h('div', null, h('span.mono', null, l.msg ?? ''), explain(l.fields ?? {})) },
    ], logs, { testid: 'log-lines', empty: t('noLogs') }))
  } catch (err) {
    body.replaceChildren(h('p.form-error', null, /** @type {Error} */ (err).message))
  }
  await dialog
}
