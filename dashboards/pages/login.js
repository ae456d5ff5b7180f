import { post } from '../api.js'
import { busy, field, fill, h, showIssues } from '../dom.js'
import { t } from '../i18n.js'

/** Login: user and password; the session lives in an HttpOnly cookie the API sets. */
/** @type {import('../app.js').Page} */
export function loginPage(root, ctx) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, 'data-testid': 'login-user' })
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' })
  const submit = /** @type {HTMLButtonElement} */ (h('button.primary', { type: 'submit', 'data-testid': 'login-submit' }, t('login')))
  const form = h('form.login', {
    onsubmit: (/** @type {SubmitEvent} */ e) => {
      e.preventDefault()
      busy(submit, async () => {
        try {
          await post('/api/login', { user: /** @type {HTMLInputElement} */ (user).value, password: /** @type {HTMLInputElement} */ (password).value })
          const next = ctx.params.get('next') ?? ''
          // Back to Bull Board when that is where the user came from; only there, never to another site.
          if (/^\/queues(\/[\w\-./%]*)?$/.test(next)) return location.assign(next)
          ctx.go(next ? `#/${next}` : '#/instances')
        } catch (err) {
          const e = /** @type {import('../api.js').ApiError} */ (err)
          const refusal = e.status === 401 ? t('loginRefused') : e.message
          showIssues(form, e.issues ?? [], refusal)
        }
      })
    },
  },
    h('h1', null, 'K2S'),
    h('p.muted', null, t('loginIntro')),
    field('user', t('user'), user),
    field('password', t('password'), password),
    h('div.form-error', { role: 'alert', 'data-testid': 'login-error' }),
    submit,
  )
  fill(root, form)
}
