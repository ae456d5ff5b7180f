import { del, get, post, put, seg } from '../api.js'
import { attempt, busy, confirmDialog, field, fill, h, modal, showIssues, table, toast } from '../dom.js'
import { t } from '../i18n.js'

/**
 * Console users and their roles (admins only): viewer reads, operator also changes instances,
 * mappings and the quarantine, admin also manages users. A new password ends the user's sessions.
 */
const roles = ['viewer', 'operator', 'admin']

/** @type {import('../app.js').Page} */
export async function usersPage(root) {
  const list = h('div')
  fill(root,
    h('div.toolbar', null, h('span.hint', null, t('rolesHint')),
      h('button.primary.right', { 'data-testid': 'new-user', onclick: () => edit(null) }, t('newUser'))),
    list)

  async function load() {
    const { users } = await get('/api/users')
    fill(list, table([
      { label: t('user'), cell: (u) => h('strong', null, u.name) },
      { label: t('role'), cell: (u) => h('span', { 'data-testid': `role-${u.name}` }, t(`role_${u.role}`)) },
      { label: t('actions'), class: 'actions', cell: (u) => [
        h('button.link', { 'data-testid': `edit-user-${u.name}`, onclick: () => edit(u) }, t('edit')),
        h('button.link.danger', { 'data-testid': `delete-user-${u.name}`, onclick: () => remove(u) }, t('delete')),
      ] },
    ], users, { testid: 'users', rowId: (u) => u.name, empty: t('noUsers') }))
  }

  /** @param {{ name: string, role: string } | null} user */
  async function edit(user) {
    const name = h('input', { name: 'name', value: user?.name ?? '', disabled: Boolean(user), 'data-testid': 'user-name' })
    const role = h('select', { name: 'role', 'data-testid': 'user-role' }, roles.map((r) => h('option', { value: r, selected: (user?.role ?? 'viewer') === r }, t(`role_${r}`))))
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', 'data-testid': 'user-password' })
    const form = h('form', { onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      field('name', t('user'), name),
      field('role', t('role'), role, t(`roleHint_viewer`)),
      field('password', t('password'), password, user ? t('userPasswordHintEdit') : t('userPasswordHintNew')),
      h('div.form-error', { role: 'alert' }))
    const value = (/** @type {HTMLElement} */ el) => /** @type {HTMLInputElement} */ (el).value
    await modal({
      title: user ? t('editUser', { name: user.name }) : t('newUser'),
      body: form,
      testid: 'user-dialog',
      actions: (close) => [
        h('button', { onclick: close }, t('cancel')),
        h('button.primary', { 'data-testid': 'save-user', onclick: (/** @type {MouseEvent} */ e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
          try {
            if (user) await put(`/api/users/${seg(user.name)}`, { role: value(role), ...(value(password) ? { password: value(password) } : {}) })
            else await post('/api/users', { name: value(name).trim(), role: value(role), password: value(password) })
            toast(t('saved'))
            close()
          } catch (err) {
            const ae = /** @type {import('../api.js').ApiError} */ (err)
            showIssues(form, ae.issues ?? [], ae.message)
          }
        }) }, t('save')),
      ],
    })
    await load()
  }

  /** @param {{ name: string }} user */
  async function remove(user) {
    if (!(await confirmDialog(t('deleteUser'), t('deleteUserConfirm', { name: user.name })))) return
    await attempt(() => del(`/api/users/${seg(user.name)}`))
    await load()
  }

  await load()
}
