import { h } from '../dom.js'
import { t } from '../i18n.js'

const tone = /** @type {Record<string, string>} */ ({ running: 'ok', starting: 'warn', retrying: 'warn', stalled: 'warn', failed: 'bad', stopped: 'muted' })

/**
 * An instance's real state with its reason; a state this console does not know yet is shown as
 * the API names it rather than hidden.
 * @param {{ name: string, state: string, reason?: string }} i
 */
export function stateBadge(i) {
  const known = i.state in tone
  return h('span.state', { 'data-testid': `state-${i.name}`, 'data-state': i.state },
    h(`span.badge.${tone[i.state] ?? 'muted'}`, null, known ? t(`state_${i.state}`) : i.state),
    i.reason ? h('span.reason', { title: i.reason }, i.reason) : null,
  )
}
