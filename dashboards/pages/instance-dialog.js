import { get, post, put, seg } from '../api.js'
import { busy, clearIssues, field, h, modal, showIssues, toast } from '../dom.js'
import { said, t } from '../i18n.js'

/**
 * The instance dialog: every field of the seed's instance config as a real input, the API's
 * messages under the fields they name, a write-only password, and Test connection.
 */
const numbers = /** @type {const} */ ([
  ['commitBatch', 'unitRows', 10000],
  ['commitTimeout', 'unitMs', 1000],
  ['maxBatchBytes', 'unitBytes', 16777216],
  ['loadTimeoutMs', 'unitMs', 60000],
  ['retryBackoffMs', 'unitMs', 1000],
  ['retryBackoffMaxMs', 'unitMs', 60000],
  ['stallAfterMs', 'unitMs', 60000],
])

/**
 * @param {string | null} name null for a new instance
 * @returns {Promise<boolean>} whether it was saved
 */
export async function editInstance(name) {
  const [view, envs] = await Promise.all([name ? get(`/api/instances/${seg(name)}`) : null, get('/api/mapping-envs')])
  /** @type {Record<string, any>} */
  const c = view?.config ?? { kafkaBootstrap: '', topics: [], jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/', feHost: '127.0.0.1', feHttpPort: 8030, userName: 'root', consumerPolicy: 'E-C', strictMode: true, labelPrefix: 'k2s', pinNode: '', pinCluster: '' }
  let saved = false

  const input = (/** @type {string} */ key, /** @type {Record<string, any>} */ attrs = {}) =>
    h('input', { name: key, value: c[key] ?? '', 'data-testid': `field-${key}`, ...attrs })
  const topics = tagInput(c.topics ?? [])
  const policy = h('select', { name: 'consumerPolicy', 'data-testid': 'field-consumerPolicy', onchange: () => { policyHelp.textContent = t(`policy_${/** @type {HTMLSelectElement} */ (policy).value}`) } },
    ['E-C', 'E-B', 'L-C', 'L-B'].map((p) => h('option', { value: p, selected: c.consumerPolicy === p }, `${p} — ${t(`policyShort_${p}`)}`)))
  const policyHelp = h('span.hint', null, t(`policy_${c.consumerPolicy ?? 'E-C'}`))
  const env = h('select', { name: 'mappingEnv', 'data-testid': 'field-mappingEnv' },
    envs.mappingEnvs.length === 0 ? h('option', { value: '' }, t('noEnvsYet')) : null,
    envs.mappingEnvs.map((/** @type {any} */ e) => h('option', { value: e.name, selected: e.name === c.mappingEnv }, e.name)))
  const password = h('input', { name: 'passWord', type: 'password', autocomplete: 'new-password', placeholder: view?.passWordSet ? t('passwordUnchanged') : '', 'data-testid': 'field-passWord' })
  const strict = h('input', { type: 'checkbox', name: 'strictMode', checked: c.strictMode !== false, 'data-testid': 'field-strictMode' })
  const results = h('div.check-results', { 'data-testid': 'connection-results' })

  const form = h('form.instance-form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    h('fieldset', null, h('legend', null, t('sectionGeneral')),
      field('name', t('instanceName'), input('name', { disabled: Boolean(view), required: true })),
      field('mappingEnv', t('mappingEnv'), env)),
    h('fieldset', null, h('legend', null, t('sectionKafka')),
      field('kafkaBootstrap', t('kafkaBootstrap'), input('kafkaBootstrap', { placeholder: '10.0.0.1:9092,10.0.0.2:9092' })),
      field('topics', t('topics'), topics.el, t('topicsHint')),
      field('consumerPolicy', t('consumerPolicy'), policy, undefined), policyHelp),
    h('fieldset', null, h('legend', null, t('sectionStarRocks')),
      field('jdbcUrl', t('jdbcUrl'), input('jdbcUrl', { placeholder: 'jdbc:mysql://fe-host:9030/' })),
      field('feHost', t('feHost'), input('feHost')),
      field('feHttpPort', t('feHttpPort'), input('feHttpPort', { type: 'number', min: 1, max: 65535 })),
      field('userName', t('userName'), input('userName', { autocomplete: 'off' })),
      field('passWord', t('password'), password, view ? t('passwordHintEdit') : t('passwordHintNew'))),
    h('fieldset', null, h('legend', null, t('sectionBatching')),
      numbers.map(([key, unit, fallback]) => field(key, t(key), h('div.with-unit', null, input(key, { type: 'number', min: 0, value: c[key] ?? fallback }), h('span.unit', null, t(unit))), t(`${key}Hint`))),
      field('labelPrefix', t('labelPrefix'), input('labelPrefix')),
      h('label.field.check', { 'data-field': 'strictMode' }, strict, h('span.label', null, t('strictMode')))),
    h('fieldset', null, h('legend', null, t('sectionPlacement')),
      field('pinCluster', t('pinCluster'), input('pinCluster', { placeholder: t('anyCluster') })),
      field('pinNode', t('pinNode'), input('pinNode', { placeholder: t('anyNode') }))),
    h('div.form-error', { role: 'alert', 'data-testid': 'form-error' }),
    results,
  )

  const values = () => {
    const value = (/** @type {string} */ key) => /** @type {HTMLInputElement} */ (form.querySelector(`[name="${key}"]`)).value.trim()
    /** @type {Record<string, any>} */
    const body = {
      name: view ? name : value('name'),
      kafkaBootstrap: value('kafkaBootstrap'),
      topics: topics.values(),
      mappingEnv: value('mappingEnv'),
      jdbcUrl: value('jdbcUrl'),
      feHost: value('feHost'),
      feHttpPort: Number(value('feHttpPort')),
      userName: value('userName'),
      consumerPolicy: value('consumerPolicy'),
      labelPrefix: value('labelPrefix'),
      strictMode: /** @type {HTMLInputElement} */ (strict).checked,
      pinCluster: value('pinCluster'),
      pinNode: value('pinNode'),
    }
    for (const [key] of numbers) body[key] = Number(value(key))
    const pw = /** @type {HTMLInputElement} */ (password).value
    if (pw !== '' || !view) body.passWord = pw
    return body
  }

  /** @param {HTMLButtonElement} button */
  const testConnection = (button) => busy(button, async () => {
    button.textContent = t('testing')
    clearIssues(form)
    results.replaceChildren(h('p.muted', null, t('testing')))
    try {
      const r = await post('/api/instances/test-connection', values())
      const part = (/** @type {string} */ key, /** @type {any} */ p) => h(`div.check.${p.ok ? 'ok' : 'bad'}`, { 'data-testid': `check-${key}`, 'data-ok': String(p.ok) },
        h('strong', null, `${p.ok ? '✔' : '✘'} ${t(`check_${key}`)}`), ' ', said(p))
      results.replaceChildren(part('kafka', r.kafka), part('mysql', r.mysql), part('feHttp', r.feHttp))
      results.scrollIntoView({ block: 'nearest' })
    } catch (err) {
      results.replaceChildren()
      const e = /** @type {import('../api.js').ApiError} */ (err)
      showIssues(form, e.issues ?? [], e.message)
    }
  })

  /** @param {HTMLButtonElement} button @param {() => void} close */
  const save = (button, close) => busy(button, async () => {
    clearIssues(form)
    try {
      if (view) await put(`/api/instances/${seg(/** @type {string} */ (name))}`, values())
      else await post('/api/instances', values())
      saved = true
      toast(t('saved'))
      close()
    } catch (err) {
      const e = /** @type {import('../api.js').ApiError} */ (err)
      showIssues(form, e.issues ?? [], e.message)
    }
  })

  await modal({
    title: view ? t('editInstance', { name: name ?? '' }) : t('newInstance'),
    body: form,
    wide: true,
    testid: 'instance-dialog',
    actions: (close) => [
      h('button', { 'data-testid': 'test-connection', onclick: (/** @type {MouseEvent} */ e) => testConnection(/** @type {HTMLButtonElement} */ (e.currentTarget)) }, t('testConnection')),
      h('span.spacer'),
      h('button', { onclick: close }, t('cancel')),
      h('button.primary', { 'data-testid': 'save-instance', onclick: (/** @type {MouseEvent} */ e) => save(/** @type {HTMLButtonElement} */ (e.currentTarget), close) }, t('save')),
    ],
  })
  return saved
}

/**
 * Topics as tags: Enter or comma adds, × removes, Backspace on an empty input removes the last.
 * @param {string[]} initial
 */
function tagInput(initial) {
  const tags = [...initial]
  const entry = /** @type {HTMLInputElement} */ (h('input', { 'data-testid': 'field-topics', placeholder: t('addTopic') }))
  const list = h('span.tag-list')
  const el = h('div.tags-input', { onclick: () => entry.focus() }, list, entry)
  const draw = () => {
    list.replaceChildren(...tags.map((tag, i) => h('span.tag', null, tag, h('button.icon', { type: 'button', 'aria-label': t('remove'), onclick: () => { tags.splice(i, 1); draw() } }, '×'))))
  }
  const commit = () => {
    for (const part of entry.value.split(/[,\s]+/)) if (part && !tags.includes(part)) tags.push(part)
    entry.value = ''
    draw()
  }
  entry.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ',') { e.preventDefault(); commit() }
    else if (e.key === 'Backspace' && entry.value === '' && tags.length) { tags.pop(); draw() }
  })
  entry.addEventListener('blur', () => { if (entry.value.trim()) commit() })
  draw()
  return { el, values: () => { if (entry.value.trim()) commit(); return [...tags] } }
}
