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
  const c = view?.config ?? { kafkaBootstrap: '', topics: [], topicPattern: '', kafkaSecurityProtocol: 'PLAINTEXT', kafkaSaslMechanism: 'PLAIN', kafkaTlsVerifyHostname: true, jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/', feHost: '127.0.0.1', feHttpPort: 8030, userName: 'root', consumerPolicy: 'E-C', format: 'canal', timeZone: 'UTC', strictMode: true, labelPrefix: 'k2s', pinNode: '', pinCluster: '' }
  let saved = false

  const input = (/** @type {string} */ key, /** @type {Record<string, any>} */ attrs = {}) =>
    h('input', { name: key, value: c[key] ?? '', 'data-testid': `field-${key}`, ...attrs })
  const topics = tagInput(c.topics ?? [])
  const policy = h('select', { name: 'consumerPolicy', 'data-testid': 'field-consumerPolicy', onchange: () => { policyHelp.textContent = t(`policy_${/** @type {HTMLSelectElement} */ (policy).value}`) } },
    ['E-C', 'E-B', 'L-C', 'L-B'].map((p) => h('option', { value: p, selected: c.consumerPolicy === p }, `${p} — ${t(`policyShort_${p}`)}`)))
  const policyHelp = h('span.hint', null, t(`policy_${c.consumerPolicy ?? 'E-C'}`))
  const format = h('select', { name: 'format', 'data-testid': 'field-format', onchange: () => { formatHelp.textContent = t(`format_${/** @type {HTMLSelectElement} */ (format).value}`) } },
    ['canal', 'debezium', 'maxwell'].map((f) => h('option', { value: f, selected: (c.format ?? 'canal') === f }, t(`formatName_${f}`))))
  const formatHelp = h('span.hint', null, t(`format_${c.format ?? 'canal'}`))
  const env = h('select', { name: 'mappingEnv', 'data-testid': 'field-mappingEnv' },
    envs.mappingEnvs.length === 0 ? h('option', { value: '' }, t('noEnvsYet')) : null,
    envs.mappingEnvs.map((/** @type {any} */ e) => h('option', { value: e.name, selected: e.name === c.mappingEnv }, e.name)))
  const password = h('input', { name: 'passWord', type: 'password', autocomplete: 'new-password', placeholder: view?.passWordSet ? t('passwordUnchanged') : '', 'data-testid': 'field-passWord' })
  const strict = h('input', { type: 'checkbox', name: 'strictMode', checked: c.strictMode !== false, 'data-testid': 'field-strictMode' })
  const select = (/** @type {string} */ key, /** @type {string[]} */ options) =>
    h('select', { name: key, 'data-testid': `field-${key}`, onchange: () => showSecurity() }, options.map((o) => h('option', { value: o, selected: c[key] === o }, o)))
  /** A write-only secret: empty keeps the stored one (the API says when it may not). */
  const secret = (/** @type {string} */ key, /** @type {boolean} */ set, /** @type {boolean} */ multiline) => multiline
    ? h('textarea.mono', { name: key, rows: 3, placeholder: set ? t('passwordUnchanged') : '', 'data-testid': `field-${key}` })
    : h('input', { name: key, type: 'password', autocomplete: 'new-password', placeholder: set ? t('passwordUnchanged') : '', 'data-testid': `field-${key}` })
  const pem = (/** @type {string} */ key) => h('textarea.mono', { name: key, rows: 3, value: c[key] ?? '', placeholder: '-----BEGIN CERTIFICATE-----', 'data-testid': `field-${key}` })
  const verifyHostname = h('input', { type: 'checkbox', name: 'kafkaTlsVerifyHostname', checked: c.kafkaTlsVerifyHostname !== false, 'data-testid': 'field-kafkaTlsVerifyHostname' })
  const saslFields = h('div.security-fields', null,
    field('kafkaSaslMechanism', t('kafkaSaslMechanism'), select('kafkaSaslMechanism', ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])),
    field('kafkaSaslUser', t('kafkaSaslUser'), input('kafkaSaslUser', { autocomplete: 'off' })),
    field('kafkaSaslPassword', t('kafkaSaslPassword'), secret('kafkaSaslPassword', Boolean(view?.kafkaSaslPasswordSet), false), view ? t('kafkaSecretHintEdit') : t('passwordHintNew')))
  const tlsFields = h('div.security-fields', null,
    field('kafkaTlsCa', t('kafkaTlsCa'), pem('kafkaTlsCa'), t('kafkaTlsCaHint')),
    field('kafkaTlsCert', t('kafkaTlsCert'), pem('kafkaTlsCert'), t('kafkaTlsCertHint')),
    field('kafkaTlsKey', t('kafkaTlsKey'), secret('kafkaTlsKey', Boolean(view?.kafkaTlsKeySet), true), view ? t('kafkaSecretHintEdit') : t('passwordHintNew')),
    h('label.field.check', { 'data-field': 'kafkaTlsVerifyHostname' }, verifyHostname, h('span.label', null, t('kafkaTlsVerifyHostname'))))
  const protocol = select('kafkaSecurityProtocol', ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])
  // Only the fields the chosen protocol uses are shown; hidden ones are sent empty.
  const showSecurity = () => {
    const p = /** @type {HTMLSelectElement} */ (protocol).value
    saslFields.hidden = !p.startsWith('SASL')
    tlsFields.hidden = !p.endsWith('SSL')
  }
  const results = h('div.check-results', { 'data-testid': 'connection-results' })

  const form = h('form.instance-form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    h('fieldset', null, h('legend', null, t('sectionGeneral')),
      field('name', t('instanceName'), input('name', { disabled: Boolean(view), required: true })),
      field('mappingEnv', t('mappingEnv'), env)),
    h('fieldset', null, h('legend', null, t('sectionKafka')),
      field('kafkaBootstrap', t('kafkaBootstrap'), input('kafkaBootstrap', { placeholder: '10.0.0.1:9092,10.0.0.2:9092' })),
      field('topics', t('topics'), topics.el, t('topicsHint')),
      field('topicPattern', t('topicPattern'), input('topicPattern', { placeholder: 'shop_.*', class: 'mono' }), t('topicPatternHint')),
      field('kafkaSecurityProtocol', t('kafkaSecurityProtocol'), protocol, t('kafkaSecurityProtocolHint')),
      saslFields,
      tlsFields,
      field('consumerPolicy', t('consumerPolicy'), policy, undefined), policyHelp,
      field('format', t('format'), format, undefined), formatHelp,
      field('timeZone', t('timeZone'), input('timeZone', { placeholder: 'UTC' }), t('timeZoneHint'))),
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

  showSecurity()

  // The stored password only goes where it was saved for: moving the instance needs it again, and
  // the dialog says so as soon as one of those fields changes (the API refuses it otherwise).
  const passwordHint = /** @type {HTMLElement} */ (form.querySelector('[data-field="passWord"] .hint'))
  const boundFields = ['jdbcUrl', 'feHost', 'feHttpPort', 'userName']
  const passwordNeeded = () => Boolean(view) && /** @type {HTMLInputElement} */ (password).value === '' &&
    boundFields.some((key) => /** @type {HTMLInputElement} */ (form.querySelector(`[name="${key}"]`)).value.trim() !== String(c[key] ?? ''))
  form.addEventListener('input', () => {
    const needed = passwordNeeded()
    passwordHint.textContent = needed ? t('passwordAgain') : t('passwordHintEdit')
    passwordHint.classList.toggle('warning', needed)
    passwordHint.dataset.testid = needed ? 'password-again' : ''
    password.toggleAttribute('required', needed)
  })

  const values = () => {
    const value = (/** @type {string} */ key) => /** @type {HTMLInputElement} */ (form.querySelector(`[name="${key}"]`)).value.trim()
    /** @type {Record<string, any>} */
    const body = {
      name: view ? name : value('name'),
      kafkaBootstrap: value('kafkaBootstrap'),
      topics: topics.values(),
      topicPattern: value('topicPattern'),
      kafkaSecurityProtocol: value('kafkaSecurityProtocol'),
      mappingEnv: value('mappingEnv'),
      jdbcUrl: value('jdbcUrl'),
      feHost: value('feHost'),
      feHttpPort: Number(value('feHttpPort')),
      userName: value('userName'),
      consumerPolicy: value('consumerPolicy'),
      format: value('format'),
      timeZone: value('timeZone') || 'UTC',
      labelPrefix: value('labelPrefix'),
      strictMode: /** @type {HTMLInputElement} */ (strict).checked,
      pinCluster: value('pinCluster'),
      pinNode: value('pinNode'),
    }
    for (const [key] of numbers) body[key] = Number(value(key))
    const pw = /** @type {HTMLInputElement} */ (password).value
    if (pw !== '' || !view) body.passWord = pw
    const sasl = !saslFields.hidden
    const tls = !tlsFields.hidden
    body.kafkaSaslMechanism = value('kafkaSaslMechanism')
    body.kafkaSaslUser = sasl ? value('kafkaSaslUser') : ''
    body.kafkaTlsCa = tls ? value('kafkaTlsCa') : ''
    body.kafkaTlsCert = tls ? value('kafkaTlsCert') : ''
    body.kafkaTlsVerifyHostname = /** @type {HTMLInputElement} */ (verifyHostname).checked
    for (const [key, used] of /** @type {const} */ ([['kafkaSaslPassword', sasl], ['kafkaTlsKey', tls]])) {
      const typed = used ? value(key) : ''
      // Typed: sent. Left empty: kept when editing (the API refuses where it may not be), empty when new.
      if (typed !== '' || !view || !used) body[key] = typed
    }
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
