import { h } from '../dom.js'
import { said, t } from '../i18n.js'

const tone = /** @type {Record<string, string>} */ ({ running: 'ok', starting: 'warn', retrying: 'warn', stalled: 'warn', failed: 'bad', stopped: 'muted' })

/**
 * An instance's real state with its reason; a state this console does not know yet is shown as
 * the API names it rather than hidden.
 * @param {{ name: string, state: string, reason?: string, reasonCode?: string | null, reasonParams?: Record<string, string | number> }} i
 */
export function stateBadge(i) {
  const known = i.state in tone
  const reason = said({ code: i.reasonCode, params: i.reasonParams, message: i.reason })
  return h('span.state', { 'data-testid': `state-${i.name}`, 'data-state': i.state },
    h(`span.badge.${tone[i.state] ?? 'muted'}`, null, known ? t(`state_${i.state}`) : i.state),
    reason ? h('span.reason', { title: reason, 'data-code': i.reasonCode }, reason) : null,
  )
}
