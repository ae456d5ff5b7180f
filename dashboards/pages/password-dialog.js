import { post } from '../api.js'
import { busy, field, h, modal, showIssues, toast } from '../dom.js'
import { t } from '../i18n.js'

/**
 * Any user changes their own password from the top bar. The current one is asked for, so an
 * unattended browser is not enough to take the account; the new one ends their other sessions.
 */
export async function changeOwnPassword() {
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', 'data-testid': 'current-password' })
  const chosen = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', 'data-testid': 'new-password' })
  const form = h('form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
    field('currentPassword', t('currentPassword'), current),
    field('newPassword', t('newPassword'), chosen, t('newPasswordHint')),
    h('div.form-error', { role: 'alert' }))
  const value = (/** @type {HTMLElement} */ el) => /** @type {HTMLInputElement} */ (el).value
  await modal({
    title: t('changePassword'),
    body: form,
    testid: 'password-dialog',
    actions: (close) => [
      h('button', { onclick: close }, t('cancel')),
      h('button.primary', { 'data-testid': 'save-password', onclick: (/** @type {MouseEvent} */ e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
        try {
          await post('/api/me/password', { currentPassword: value(current), newPassword: value(chosen) })
          toast(t('passwordChanged'))
          close()
        } catch (err) {
          const ae = /** @type {import('../api.js').ApiError} */ (err)
          showIssues(form, ae.issues ?? [], ae.message)
        }
      }) }, t('save')),
    ],
  })
}
