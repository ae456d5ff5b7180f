import { h } from '../dom.js'
import { language, t } from '../i18n.js'
import { helpEn } from '../help-en.js'
import { helpZh } from '../help-zh.js'

/**
 * A page's help, folded under its content: what the fields mean, the policies, how rules match,
 * what quarantine is, with an example; in the chosen language.
 * @param {string} page
 */
export function helpPanel(page) {
  const sections = (language() === 'zh' ? helpZh : helpEn)[page] ?? []
  return h('details.help', { 'data-testid': `help-${page}` },
    h('summary', null, t('help')),
    sections.map((s) => h('section', null,
      h('h4', null, s.title),
      s.text.map((p) => h('p', null, p)),
      s.example ? h('pre.example', null, s.example) : null)))
}
