import { said, t } from './i18n.js'

/**
 * Small DOM helpers the pages share: element building, tables with empty states, modal dialogs,
 * toasts, and showing the API's field issues next to their inputs.
 */

/**
 * @param {string} tag `div`, `button.primary`, `span.badge.ok`
 * @param {Record<string, any> | null} [attrs] properties; `on…` functions become listeners, `data-…`/`aria-…` attributes
 * @param {...any} children nodes, strings, arrays, null
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.')
  const el = document.createElement(name || 'div')
  if (classes.length) el.className = classes.join(' ')
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value)
    else if (key.includes('-') || key === 'for' || key === 'role') el.setAttribute(key, value === true ? '' : String(value))
    else if (key === 'class') el.className += ` ${value}`
    else /** @type {any} */ (el)[key] = value
  }
  append(el, children)
  return el
}

/** @param {HTMLElement} el @param {any[]} children */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** @param {HTMLElement} el @param {...any} children */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/**
 * @typedef {{ label: string, cell: (row: any) => any, class?: string }} Column
 * @param {Column[]} columns
 * @param {any[]} rows
 * @param {{ empty: any, testid: string, rowId?: (row: any) => string }} opts
 */
export function table(columns, rows, opts) {
  if (rows.length === 0) return h('div.empty', { 'data-testid': `${opts.testid}-empty` }, opts.empty)
  return h('table.grid', { 'data-testid': opts.testid },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.class }, c.label)))),
    h('tbody', null, rows.map((row) => h('tr', { 'data-row': opts.rowId?.(row) }, columns.map((c) => h('td', { class: c.class }, c.cell(row)))))),
  )
}

/**
 * A modal dialog; resolves when it closes. `actions` get `close` to end it.
 * @param {{ title: string, body: any, actions?: (close: () => void) => any, wide?: boolean, testid?: string }} opts
 */
export function modal(opts) {
  return new Promise((resolve) => {
    const close = () => {
      document.removeEventListener('keydown', onKey)
      backdrop.remove()
      resolve(undefined)
    }
    /** @param {KeyboardEvent} e */
    const onKey = (e) => { if (e.key === 'Escape') close() }
    const backdrop = h('div.backdrop', { onmousedown: (/** @type {MouseEvent} */ e) => { if (e.target === backdrop) close() } },
      h(`div.modal${opts.wide ? '.wide' : ''}`, { role: 'dialog', 'aria-label': opts.title, 'data-testid': opts.testid },
        h('header', null, h('h2', null, opts.title), h('button.icon', { onclick: close, 'aria-label': t('close'), title: t('close') }, '×')),
        h('div.modal-body', null, opts.body),
        opts.actions ? h('footer', null, opts.actions(close)) : null,
      ),
    )
    document.addEventListener('keydown', onKey)
    document.body.append(backdrop)
    const first = /** @type {HTMLElement | null} */ (backdrop.querySelector('input:not([disabled]), select, textarea'))
    first?.focus()
  })
}

/** @param {string} title @param {string} message @returns {Promise<boolean>} */
export async function confirmDialog(title, message) {
  let yes = false
  await modal({
    title,
    body: h('p', null, message),
    actions: (close) => [
      h('button', { onclick: close }, t('cancel')),
      h('button.danger', { 'data-testid': 'confirm', onclick: () => { yes = true; close() } }, t('confirm')),
    ],
  })
  return yes
}

/** @param {string} message @param {'ok' | 'error'} [kind] */
export function toast(message, kind = 'ok') {
  const el = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, message)
  document.getElementById('toasts')?.append(el)
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500)
}

/**
 * Puts each API issue under the input whose `name` is its path; issues naming no input go to
 * the form's general error line. Returns whether anything was shown.
 * @param {HTMLElement} form @param {({path: string} & import('./i18n.js').Said)[]} issues @param {string} [fallback]
 */
export function showIssues(form, issues, fallback) {
  clearIssues(form)
  const loose = []
  for (const issue of issues) {
    const field = form.querySelector(`[data-field="${CSS.escape(issue.path)}"]`)
    if (field) {
      field.classList.add('invalid')
      field.append(h('div.field-error', { 'data-testid': `error-${issue.path}`, 'data-code': issue.code }, said(issue)))
    } else loose.push(issue.path ? `${issue.path}: ${said(issue)}` : said(issue))
  }
  if (loose.length === 0 && issues.length === 0 && fallback) loose.push(fallback)
  const general = form.querySelector('.form-error')
  if (general) general.textContent = loose.join('; ')
}

/** @param {HTMLElement} form */
export function clearIssues(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove())
  form.querySelectorAll('.invalid').forEach((e) => e.classList.remove('invalid'))
  const general = form.querySelector('.form-error')
  if (general) general.textContent = ''
}

/**
 * A labelled input wrapper; `path` is the API field the issues name.
 * @param {string} path @param {string} label @param {HTMLElement} input @param {string} [hint]
 */
export function field(path, label, input, hint) {
  return h('label.field', { 'data-field': path }, h('span.label', null, label), input, hint ? h('span.hint', null, hint) : null)
}

/** "12 s ago", "3 min ago", or the date. @param {string | number | null | undefined} at */
export function ago(at) {
  if (at === null || at === undefined || at === '') return '—'
  const ms = Date.now() - new Date(at).getTime()
  if (!Number.isFinite(ms)) return '—'
  if (ms < 60_000) return t('secondsAgo', { n: Math.max(0, Math.round(ms / 1000)) })
  if (ms < 3_600_000) return t('minutesAgo', { n: Math.round(ms / 60_000) })
  return new Date(at).toLocaleString()
}

/** @param {number | null | undefined} n */
export const num = (n) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString() : '—')

/** A button that shows it is busy while `work` runs. @param {HTMLButtonElement} button @param {() => Promise<void>} work */
export async function busy(button, work) {
  const label = button.textContent
  button.disabled = true
  button.classList.add('busy')
  try {
    await work()
  } finally {
    button.disabled = false
    button.classList.remove('busy')
    button.textContent = label
  }
}

/** Runs an action, toasting the API's refusal instead of throwing. @param {() => Promise<unknown>} work */
export async function attempt(work) {
  try {
    await work()
    return true
  } catch (err) {
    toast(/** @type {Error} */ (err).message, 'error')
    return false
  }
}
