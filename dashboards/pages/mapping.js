import { del, get, post, put, seg } from '../api.js'
import { attempt, busy, confirmDialog, field, fill, h, modal, showIssues, table, toast } from '../dom.js'
import { said, t } from '../i18n.js'
import { may } from '../role.js'
import { helpPanel } from './help.js'
import { editRule } from './rule-dialog.js'

/**
 * Table Mapping: environments (name as the code, description, who uses it) and their ordered
 * rules, first match wins; and a preview that runs a pasted canal message through the rules.
 */
/** @type {import('../app.js').Page} */
export async function mappingPage(root, ctx) {
  const envList = h('div.env-list')
  const detail = h('div.env-detail')
  fill(root, h('div.split', null,
    h('section', null,
      h('div.toolbar', null, h('h2', null, t('environments')), may('operator') ? h('button.primary.right', { 'data-testid': 'new-env', onclick: () => editEnv(null) }, t('newEnv')) : null),
      envList),
    detail),
    helpPanel('mapping'))

  /** @type {any[]} */
  let envs = []
  let current = ctx.params.get('env')
  // Only the latest load draws: a click during the page's first load must not be overwritten by it
  // (or overwrite it later), which would drop what the user typed into the preview.
  let loads = 0

  async function load() {
    const mine = ++loads
    const listed = (await get('/api/mapping-envs')).mappingEnvs
    if (mine !== loads) return
    envs = listed
    if (current && !envs.some((e) => e.name === current)) current = null
    current ??= envs[0]?.name ?? null
    fill(envList, table([
      { label: t('envCode'), cell: (e) => h('a', { href: '#', 'data-testid': `env-${e.name}`, onclick: (/** @type {Event} */ ev) => { ev.preventDefault(); current = e.name; load() } }, e.name) },
      { label: t('envTitle'), cell: (e) => e.title || '—' },
      { label: t('description'), cell: (e) => e.description || '—' },
      { label: t('rules'), class: 'num', cell: (e) => e.rules },
      { label: t('usedBy'), cell: (e) => (e.usedBy.length ? e.usedBy.join(', ') : '—') },
      { label: t('actions'), class: 'actions', cell: (e) => may('operator') ? [
        h('button.link', { 'data-testid': `edit-env-${e.name}`, onclick: () => editEnv(e) }, t('edit')),
        e.usedBy.length === 0 ? h('button.link.danger', { 'data-testid': `delete-env-${e.name}`, onclick: () => removeEnv(e) }, t('delete')) : null,
      ] : null },
    ], envs, { testid: 'envs', rowId: (e) => e.name, empty: t('noEnvs') }))
    envList.querySelectorAll('tr[data-row]').forEach((tr) => tr.classList.toggle('selected', tr.getAttribute('data-row') === current))
    if (current) await showEnv(current, mine)
    else fill(detail, h('div.empty', null, t('pickOrCreateEnv')))
  }

  /** @param {any | null} env */
  async function editEnv(env) {
    const name = h('input', { name: 'name', value: env?.name ?? '', disabled: Boolean(env), 'data-testid': 'env-name' })
    const title = h('input', { name: 'title', value: env?.title ?? '', 'data-testid': 'env-title' })
    const description = h('input', { name: 'description', value: env?.description ?? '', 'data-testid': 'env-description' })
    const form = h('form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      field('name', t('envCode'), name, t('envCodeHint')), field('title', t('envTitle'), title), field('description', t('description'), description), h('div.form-error', { role: 'alert' }))
    await modal({
      title: env ? t('editEnv', { name: env.name }) : t('newEnv'),
      body: form,
      testid: 'env-dialog',
      actions: (close) => [
        h('button', { onclick: close }, t('cancel')),
        h('button.primary', { 'data-testid': 'save-env', onclick: (/** @type {MouseEvent} */ e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
          const text = { title: /** @type {HTMLInputElement} */ (title).value.trim(), description: /** @type {HTMLInputElement} */ (description).value }
          try {
            if (env) {
              const full = await get(`/api/mapping-envs/${seg(env.name)}`)
              await put(`/api/mapping-envs/${seg(env.name)}`, { ...text, rules: full.rules })
            } else {
              const created = await post('/api/mapping-envs', { name: /** @type {HTMLInputElement} */ (name).value.trim(), ...text, rules: [] })
              current = created.name
            }
            close()
            toast(t('saved'))
          } catch (err) {
            const ae = /** @type {import('../api.js').ApiError} */ (err)
            showIssues(form, ae.issues ?? [], ae.message)
          }
        }) }, t('save')),
      ],
    })
    await load()
  }

  /** @param {any} env */
  async function removeEnv(env) {
    if (!(await confirmDialog(t('deleteEnv'), t('deleteEnvConfirm', { name: env.name })))) return
    if (await attempt(() => del(`/api/mapping-envs/${seg(env.name)}`))) current = null
    await load()
  }

  /** @param {string} name @param {number} mine which load this is */
  async function showEnv(name, mine) {
    const env = await get(`/api/mapping-envs/${seg(name)}`)
    /** @param {any[]} rules */
    const saveRules = (rules) => put(`/api/mapping-envs/${seg(name)}`, { title: env.title, description: env.description, rules })
    /** @param {number} from @param {number} to */
    const move = async (from, to) => {
      const rules = [...env.rules]
      const [rule] = rules.splice(from, 1)
      rules.splice(to, 0, rule)
      if (await attempt(() => saveRules(rules))) await load()
    }
    /** @param {number | null} index */
    const edit = async (index) => {
      if (await editRule(env.rules, index, saveRules)) await load()
    }
    const rulesTable = table([
      { label: '#', class: 'num', cell: (r) => env.rules.indexOf(r) + 1 },
      { label: t('source'), cell: (r) => h('span.mono', null, `${r.sourceDatabase} . ${r.sourceTable}`) },
      { label: t('target'), cell: (r) => h('span.mono', null, `${r.targetDatabase} . ${r.targetTable}`) },
      { label: t('columns'), cell: (r) => columnsSummary(r) },
      { label: t('deleteMode'), cell: (r) => t(`deleteMode_${r.deleteMode}`) + (r.softDeleteColumn ? ` (${r.softDeleteColumn})` : '') },
      { label: t('actions'), class: 'actions', cell: (r) => {
        if (!may('operator')) return null
        const i = env.rules.indexOf(r)
        return [
          h('button.icon', { title: t('moveUp'), 'aria-label': t('moveUp'), disabled: i === 0, onclick: () => move(i, i - 1) }, '↑'),
          h('button.icon', { title: t('moveDown'), 'aria-label': t('moveDown'), disabled: i === env.rules.length - 1, onclick: () => move(i, i + 1) }, '↓'),
          h('button.link', { 'data-testid': `edit-rule-${i}`, onclick: () => edit(i) }, t('edit')),
          h('button.link.danger', { 'data-testid': `delete-rule-${i}`, onclick: async () => {
            if (await confirmDialog(t('deleteRule'), t('deleteRuleConfirm', { n: i + 1 })) && (await attempt(() => saveRules(env.rules.filter((/** @type {any} */ _, /** @type {number} */ j) => j !== i))))) await load()
          } }, t('delete')),
        ]
      } },
    ], env.rules, { testid: 'rules', empty: t('noRules') })
    const preview = await previewPanel(name)
    if (mine !== loads) return
    fill(detail,
      h('div.toolbar', null, h('h2', null, t('rulesOf', { name: env.title ? `${env.title} (${name})` : name })), h('span.muted', null, t('firstMatchWins')), may('operator') ? h('button.primary.right', { 'data-testid': 'add-rule', onclick: () => edit(null) }, t('addRule')) : null),
      rulesTable,
      preview)
  }

  await load()
}

/** @param {any} r */
function columnsSummary(r) {
  const parts = [
    ...Object.entries(r.columnRenames).map(([from, to]) => `${from}→${to}`),
    ...r.excludeColumns.map((/** @type {string} */ c) => `−${c}`),
    ...Object.entries(r.metadataColumns).map(([c, kind]) => `+${c}=${kind}`),
    ...Object.entries(r.constantColumns ?? {}).map(([c, value]) => `+${c}='${value}'`),
    ...(r.needTypes && r.needTypes.length < 3 ? [t('onlyTypes', { types: r.needTypes.join(', ') })] : []),
  ]
  return parts.length ? h('span.mono', null, parts.join(', ')) : h('span.muted', null, t('allColumnsAsIs'))
}

/** @param {string} env */
async function previewPanel(env) {
  const { instances } = await get('/api/instances')
  const message = h('textarea.mono', { rows: 8, name: 'message', 'data-testid': 'preview-message', placeholder: t('previewPlaceholder') })
  const instance = h('select', { name: 'instance', 'data-testid': 'preview-instance' },
    h('option', { value: '' }, t('noTargetSchema')),
    instances.map((/** @type {any} */ i) => h('option', { value: i.name, selected: i.mappingEnv === env }, i.name)))
  const key = h('input.mono', { name: 'key', 'data-testid': 'preview-key', placeholder: '{"id":1}' })
  const format = h('select', { name: 'format', 'data-testid': 'preview-format' },
    h('option', { value: '' }, t('formatDetect')),
    ['canal', 'debezium', 'maxwell'].map((f) => h('option', { value: f }, t(`formatName_${f}`))))
  const out = h('div.preview-out', { 'data-testid': 'preview-result' })
  const form = h('form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    field('message', t('canalMessage'), message),
    field('key', t('messageKey'), key, t('messageKeyHint')),
    field('format', t('format'), format),
    field('instance', t('targetSchemaFrom'), instance, t('targetSchemaHint')),
    h('div.form-error', { role: 'alert' }))
  const run = (/** @type {HTMLButtonElement} */ button) => busy(button, async () => {
    try {
      const inst = /** @type {HTMLSelectElement} */ (instance).value
      const k = /** @type {HTMLInputElement} */ (key).value
      const f = /** @type {HTMLSelectElement} */ (format).value
      const r = await post('/api/mapping-envs/preview', { mappingEnv: env, message: /** @type {HTMLTextAreaElement} */ (message).value, ...(inst ? { instance: inst } : {}), ...(k ? { key: k } : {}), ...(f ? { format: f } : {}) })
      showIssues(form, [])
      fill(out,
        h('p', { 'data-testid': 'preview-format-read' }, t(r.detected ? 'previewFormatDetected' : 'previewFormatChosen', { format: t(`formatName_${r.format}`) })),
        r.kind === 'rows' && r.match
          ? h('p', { 'data-testid': 'preview-match' }, t('previewMatched', { n: r.match.ruleIndex + 1, source: `${r.database}.${r.table}`, target: `${r.match.targetDatabase}.${r.match.targetTable}` }))
          : h('p', { 'data-testid': 'preview-match' }, r.kind === 'rows' ? t('previewNoRule', { source: `${r.database}.${r.table}` }) : t('previewSkipped', { reason: r.reason })),
        r.notSynced ? h('p.note', { 'data-testid': 'preview-not-synced' }, t('previewNotSynced', { n: r.match.ruleIndex + 1, type: r.type })) : null,
        (r.refused ?? []).map((/** @type {any} */ x) => h('p.note', null, t('previewRefused', { column: x.column, reason: x.reason }))),
        r.notes.map((/** @type {import('../i18n.js').Said} */ n) => h('p.note', { 'data-code': n.code }, said(n))),
        r.rows?.length ? h('pre.rows', { 'data-testid': 'preview-rows' }, r.rows.map((/** @type {any} */ row) => JSON.stringify(row)).join('\n')) : null)
    } catch (err) {
      fill(out)
      const ae = /** @type {import('../api.js').ApiError} */ (err)
      showIssues(form, ae.issues ?? [], ae.message)
    }
  })
  return h('section.preview', null,
    h('h3', null, t('preview')), h('p.muted', null, t('previewIntro')),
    form,
    h('button.primary', { 'data-testid': 'run-preview', onclick: (/** @type {MouseEvent} */ e) => run(/** @type {HTMLButtonElement} */ (e.currentTarget)) }, t('runPreview')),
    out)
}
