import { fill, h } from '../dom.js'
import { t } from '../i18n.js'

/** Bull Board (read-only) inside the console, behind the same login cookie. */
/** @type {import('../app.js').Page} */
export function queuesPage(root) {
  fill(root,
    h('p.muted', null, t('queuesIntro'), ' ', h('a', { href: '/queues', target: '_blank', rel: 'noopener' }, t('openInNewTab'))),
    h('iframe.board', { src: '/queues', title: 'Bull Board', 'data-testid': 'queues-frame' }),
  )
}
