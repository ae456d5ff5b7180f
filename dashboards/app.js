import { get, post, whenLoggedOut } from './api.js'
import { fill, h } from './dom.js'
import { language, setLanguage, t } from './i18n.js'
import { instancePage } from './pages/instance.js'
import { instancesPage } from './pages/instances.js'
import { loginPage } from './pages/login.js'
import { mappingPage } from './pages/mapping.js'
import { nodesPage } from './pages/nodes.js'
import { quarantinePage } from './pages/quarantine.js'
import { queuesPage } from './pages/queues.js'
import { usersPage } from './pages/users.js'
import { changeOwnPassword } from './pages/password-dialog.js'
import { may, setRole } from './role.js'

/**
 * The console shell: a hash router (#/instances …), the sidebar, the language switch, and the
 * refresh timers of the page on screen (stopped when the page changes).
 *
 * @typedef {{ every: (ms: number, fn: () => unknown) => void, params: URLSearchParams, go: (hash: string) => void }} PageContext
 * @typedef {(root: HTMLElement, ctx: PageContext) => Promise<void> | void} Page
 */
/** @type {Record<string, { page: Page, label: string, role?: import('./role.js').Role }>} */
const pages = {
  nodes: { page: nodesPage, label: 'navNodes' },
  instances: { page: instancesPage, label: 'navInstances' },
  mapping: { page: mappingPage, label: 'navMapping' },
  quarantine: { page: quarantinePage, label: 'navQuarantine' },
  queues: { page: queuesPage, label: 'navQueues' },
  users: { page: usersPage, label: 'navUsers', role: 'admin' },
}
/** Pages reached from another one, shown under its sidebar entry. @type {Record<string, { page: Page, label: string, under: string }>} */
const subpages = {
  instance: { page: instancePage, label: 'navInstances', under: 'instances' },
}

const app = /** @type {HTMLElement} */ (document.getElementById('app'))
/** @type {number[]} */
let timers = []
/** @type {string | null} */
let user = null

const go = (/** @type {string} */ hash) => { location.hash = hash }

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?')
  return { name: path || 'instances', params: new URLSearchParams(query ?? '') }
}

async function render() {
  timers.forEach(clearInterval)
  timers = []
  document.documentElement.lang = language() === 'zh' ? 'zh-CN' : 'en'
  document.title = t('title')
  const { name, params } = parseHash()
  if (name === 'login' || user === null) {
    if (user === null) user = await get('/api/me').then((me) => { setRole(me.role); return me.user }, () => null)
    if (user === null || name === 'login') {
      if (user !== null) return go('#/instances')
      fill(app, h('div.login-screen', null, languageSwitch(), h('div', { id: 'page' })))
      return loginPage(/** @type {HTMLElement} */ (app.querySelector('#page')), { every: () => {}, params, go: afterLogin })
    }
  }
  const sub = subpages[name]
  const needed = pages[name]?.role
  const page = needed && !may(needed) ? undefined : pages[name]
  const entry = sub ?? page ?? pages.instances
  const root = h('main', { id: 'page', 'data-page': sub ? name : (page ? name : 'instances') })
  fill(app, h('div.shell', null, sidebar(sub?.under ?? name), h('div.content', null, topbar(entry.label), root)))
  await entry.page(root, {
    params,
    go,
    every: (ms, fn) => { timers.push(window.setInterval(() => { if (!document.hidden) fn() }, ms)) },
  })
}

/** @param {string} hash */
function afterLogin(hash) {
  user = null
  const target = hash || '#/instances'
  if (location.hash === target) render()
  else go(target)
}

/** @param {string} current */
function sidebar(current) {
  return h('nav.sidebar', { 'aria-label': t('navigation') },
    h('div.brand', null, h('strong', null, 'K2S'), h('span', null, t('brandTagline'))),
    Object.entries(pages).filter(([, entry]) => !entry.role || may(entry.role)).map(([name, entry]) =>
      h(`a${name === current ? '.active' : ''}`, { href: `#/${name}`, 'data-testid': `nav-${name}` }, t(entry.label))),
  )
}

/** @param {string} label */
function topbar(label) {
  return h('header.topbar', null,
    h('h1', null, t(label)),
    h('div.topbar-right', null,
      languageSwitch(),
      h('span.user', { 'data-testid': 'current-user' }, user),
      h('button.link', { 'data-testid': 'change-password', onclick: changeOwnPassword }, t('changePassword')),
      h('button.link', { 'data-testid': 'logout', onclick: async () => { await post('/api/logout').catch(() => {}); user = null; go('#/login') } }, t('logout')),
    ),
  )
}

function languageSwitch() {
  return h('div.lang', { role: 'group', 'aria-label': 'Language / 语言' },
    ['zh', 'en'].map((lang) => h(`button.link${language() === lang ? '.active' : ''}`, {
      'data-testid': `lang-${lang}`,
      onclick: () => { setLanguage(/** @type {'zh' | 'en'} */ (lang)); render() },
    }, lang === 'zh' ? '中文' : 'English')),
  )
}

whenLoggedOut(() => {
  if (user === null) return
  user = null
  go('#/login')
})
window.addEventListener('hashchange', render)
render()
