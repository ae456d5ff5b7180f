import { en } from './i18n-en.js'
import { zh } from './i18n-zh.js'
import { enCodes } from './i18n-codes-en.js'
import { zhCodes } from './i18n-codes-zh.js'

/**
 * Every label in Chinese and English. The first choice is the one saved by the switch; else the
 * browser's languages decide, Chinese when it is asked for before English.
 * @typedef {'zh' | 'en'} Language
 */
const dictionaries = { zh, en }
const codes = { zh: zhCodes, en: enCodes }
const storageKey = 'k2s.language'

/** @returns {Language} */
function initial() {
  const saved = localStorage.getItem(storageKey)
  if (saved === 'zh' || saved === 'en') return saved
  for (const lang of navigator.languages ?? [navigator.language]) {
    if (/^zh\b/i.test(lang)) return 'zh'
    if (/^en\b/i.test(lang)) return 'en'
  }
  return 'en'
}

let current = initial()

export const language = () => current

/** @param {Language} lang */
export function setLanguage(lang) {
  current = lang
  localStorage.setItem(storageKey, lang)
}

/**
 * @param {string} key
 * @param {Record<string, string | number>} [vars] filled into `{name}` placeholders
 */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? dictionaries.en[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? `{${name}}`))
}

/**
 * A message from the API (`{ code, params, message }`) in the chosen language. A code this console
 * does not know yet (a newer server) falls back to the server's English rather than to nothing.
 * @typedef {{ code?: string | null, params?: Record<string, string | number>, message?: string }} Said
 * @param {Said | null | undefined} m
 */
export function said(m) {
  if (!m) return ''
  const text = m.code ? codes[current][m.code] : undefined
  if (text === undefined) return m.message ?? m.code ?? ''
  const params = m.params ?? {}
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole))
}
