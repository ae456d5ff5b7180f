import { busy, field, h, modal, showIssues, toast } from '../dom.js'
import { t } from '../i18n.js'

/**
 * One mapping rule as a form: patterns, target templates, column renames / exclusions / metadata
 * columns, delete mode, schema change policy. Saving sends the whole rule list; the API's `rules.N.field` issues are
 * shown under this dialog's fields.
 *
 * @param {any[]} rules the environment's rules in order
 * @param {number | null} index the rule to edit, null to add one at the end
 * @param {(rules: any[]) => Promise<unknown>} save
 * @returns {Promise<boolean>} whether it was saved
 */
export async function editRule(rules, index, save) {
  const r = index === null ? { sourceDatabase: '', sourceTable: '.*', targetDatabase: '${db}', targetTable: '${table}', columnRenames: {}, excludeColumns: [], metadataColumns: {}, constantColumns: {}, needTypes: ['insert', 'update', 'delete'], deleteMode: 'hard' } : rules[index]
  const needTypes = r.needTypes ?? ['insert', 'update', 'delete']
  const at = index ?? rules.length
  let saved = false
  const input = (/** @type {string} */ key, /** @type {string} */ value, /** @type {Record<string, any>} */ attrs = {}) => h('input.mono', { name: key, value, 'data-testid': `rule-${key}`, ...attrs })
  const pairs = (/** @type {Record<string, string>} */ o) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n')
  const softColumn = input('softDeleteColumn', r.softDeleteColumn ?? '')
  const deleteMode = h('select', { name: 'deleteMode', 'data-testid': 'rule-deleteMode', onchange: () => toggleSoft() },
    ['hard', 'soft', 'ignore'].map((m) => h('option', { value: m, selected: r.deleteMode === m }, t(`deleteMode_${m}`))))
  const softField = field('softDeleteColumn', t('softDeleteColumn'), softColumn, t('softDeleteColumnHint'))
  const toggleSoft = () => { softField.hidden = /** @type {HTMLSelectElement} */ (deleteMode).value !== 'soft' }
  toggleSoft()
  const schemaChange = h('select', { name: 'schemaChange', 'data-testid': 'rule-schemaChange', onchange: () => toggleCreate() },
    ['ignore', 'apply', 'pause'].map((p) => h('option', { value: p, selected: (r.schemaChange ?? 'ignore') === p }, t(`schemaChange_${p}`))))
  const autoCreate = h('input', { type: 'checkbox', name: 'autoCreate', 'data-testid': 'rule-autoCreate', checked: r.autoCreate === true })
  const createField = field('autoCreate', t('autoCreate'), autoCreate, t('autoCreateHint'))
  const toggleCreate = () => { createField.hidden = /** @type {HTMLSelectElement} */ (schemaChange).value !== 'apply' }
  toggleCreate()
  const form = h('form.rule-form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    h('div.row2', null,
      field('sourceDatabase', t('sourceDatabase'), input('sourceDatabase', r.sourceDatabase, { placeholder: 'shop|shop_\\d+' }), t('patternHint')),
      field('sourceTable', t('sourceTable'), input('sourceTable', r.sourceTable, { placeholder: 'orders_(\\d+)' }))),
    h('div.row2', null,
      field('targetDatabase', t('targetDatabase'), input('targetDatabase', r.targetDatabase), t('templateHint')),
      field('targetTable', t('targetTable'), input('targetTable', r.targetTable))),
    field('columnRenames', t('columnRenames'), h('textarea.mono', { name: 'columnRenames', rows: 3, value: pairs(r.columnRenames), placeholder: 'userId=user_id' }), t('columnRenamesHint')),
    field('excludeColumns', t('excludeColumns'), input('excludeColumns', r.excludeColumns.join(', '), { placeholder: 'password_hash, raw_blob' })),
    field('metadataColumns', t('metadataColumns'), h('textarea.mono', { name: 'metadataColumns', rows: 2, value: pairs(r.metadataColumns), placeholder: 'binlog_at=binlogTime' }), t('metadataColumnsHint')),
    field('constantColumns', t('constantColumns'), h('textarea.mono', { name: 'constantColumns', rows: 2, value: pairs(r.constantColumns ?? {}), placeholder: 'tenant=shop_cn' }), t('constantColumnsHint')),
    field('needTypes', t('needTypes'), h('div.checks', null, ['insert', 'update', 'delete'].map((type) =>
      h('label.check', null, h('input', { type: 'checkbox', name: 'needTypes', value: type, checked: needTypes.includes(type), 'data-testid': `rule-needType-${type}` }), t(`needType_${type}`)))), t('needTypesHint')),
    h('div.row2', null, field('deleteMode', t('deleteMode'), deleteMode, t('deleteModeHint')), softField),
    h('div.row2', null, field('schemaChange', t('schemaChange'), schemaChange, t('schemaChangeHint')), createField),
    h('div.form-error', { role: 'alert' }))

  const read = () => {
    const value = (/** @type {string} */ key) => /** @type {HTMLInputElement} */ (form.querySelector(`[name="${key}"]`)).value.trim()
    const parsePairs = (/** @type {string} */ text) => Object.fromEntries(text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf('=')
      return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()]
    }))
    /** @type {Record<string, any>} */
    const rule = {
      sourceDatabase: value('sourceDatabase'),
      sourceTable: value('sourceTable'),
      targetDatabase: value('targetDatabase'),
      targetTable: value('targetTable'),
      columnRenames: parsePairs(value('columnRenames')),
      excludeColumns: value('excludeColumns').split(',').map((c) => c.trim()).filter(Boolean),
      metadataColumns: parsePairs(value('metadataColumns')),
      constantColumns: parsePairs(value('constantColumns')),
      needTypes: [...form.querySelectorAll('input[name="needTypes"]:checked')].map((c) => /** @type {HTMLInputElement} */ (c).value),
      deleteMode: value('deleteMode'),
    }
    if (rule.deleteMode === 'soft') rule.softDeleteColumn = value('softDeleteColumn')
    rule.schemaChange = value('schemaChange')
    if (rule.schemaChange === 'apply' && /** @type {HTMLInputElement} */ (autoCreate).checked) rule.autoCreate = true
    return rule
  }

  await modal({
    title: index === null ? t('addRule') : t('editRule', { n: at + 1 }),
    body: form,
    wide: true,
    testid: 'rule-dialog',
    actions: (close) => [
      h('button', { onclick: close }, t('cancel')),
      h('button.primary', { 'data-testid': 'save-rule', onclick: (/** @type {MouseEvent} */ e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
        const next = [...rules]
        next.splice(at, index === null ? 0 : 1, read())
        try {
          await save(next)
          saved = true
          toast(t('saved'))
          close()
        } catch (err) {
          const ae = /** @type {import('../api.js').ApiError} */ (err)
          const prefix = `rules.${at}.`
          // A rename or metadata entry is reported under its key (rules.0.columnRenames.userId).
          const issues = (ae.issues ?? []).map((i) => ({ ...i, path: i.path.startsWith(prefix) ? i.path.slice(prefix.length).split('.')[0] ?? '' : i.path }))
          showIssues(form, issues, ae.message)
        }
      }) }, t('save')),
    ],
  })
  return saved
}
