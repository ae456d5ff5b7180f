import { en } from './i18n-en.js'
import { zh } from './i18n-zh.js'

/**
 * Every label in Chinese and English. The first choice is the one saved by the switch; else the
 * browser's languages decide, Chinese when it is asked for before English.
 * @typedef {'zh' | 'en'} Language
 */
const dictionaries = { zh, en }
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
