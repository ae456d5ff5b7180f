import { get, post, seg } from '../api.js'
import { ago, attempt, confirmDialog, h, modal, num, table, toast } from '../dom.js'
import { t } from '../i18n.js'
import { may } from '../role.js'

/**
 * An instance's schema evolution in a dialog: the target tables its rules' policies hold, each
 * with why (rendered from the hold's message code) and a Resume button, and the schema drift per
 * table (rows loaded without columns their target lacks).
 * @param {string} name the instance
 */
export async function showSchema(name) {
  const body = h('div', { 'data-testid': 'schema' }, h('p.muted', null, t('loading')))
  const dialog = modal({ title: t('schemaOf', { name }), body, wide: true, testid: 'schema-dialog' })
  async function draw() {
    const { held, drift } = await get(`/api/instances/${seg(name)}/schema`)
    body.replaceChildren(
      h('h3', null, t('schemaHeldTitle')),
      table([
        { label: t('schemaTable'), cell: (x) => h('strong.mono', null, x.table) },
        { label: t('schemaReason'), cell: (x) => h('span', { title: x.sql ?? '' }, t(x.code, x.params)) },
        { label: t('schemaOffset'), cell: (x) => `${x.topic}/${x.partition}@${x.offset}`, class: 'nowrap' },
        { label: t('schemaAt'), cell: (x) => ago(x.at) },
        { label: t('actions'), class: 'actions', cell: (x) => may('operator') ? h('button.link', { 'data-testid': `resume-${x.table}`, onclick: () => resume(x.table) }, t('resume')) : null },
      ], held, { testid: 'schema-held', empty: t('schemaHeldNone') }),
      h('h3', null, t('schemaDriftTitle')),
      table([
        { label: t('schemaTable'), cell: (d) => h('strong.mono', null, d.table) },
        { label: t('schemaColumns'), cell: (d) => d.columns.map((/** @type {string} */ c) => h('span.tag', null, c)) },
        { label: t('schemaRows'), class: 'num', cell: (d) => num(d.rows) },
      ], Object.entries(drift).map(([table, d]) => ({ table, .../** @type {object} */ (d) })), { testid: 'schema-drift', empty: t('schemaDriftNone') }),
    )
  }
  /** @param {string} table */
  async function resume(table) {
    if (!(await confirmDialog(t('resume'), t('resumeConfirm', { table })))) return
    await attempt(async () => {
      await post(`/api/instances/${seg(name)}/schema/held/${seg(table)}/resume`)
      toast(t('resumed', { table }))
    })
    await draw()
  }
  try {
    await draw()
  } catch (err) {
    body.replaceChildren(h('p.form-error', null, /** @type {Error} */ (err).message))
  }
  await dialog
}
