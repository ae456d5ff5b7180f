/**
 * The logged-in user's role, as /api/me says it. Controls beyond it are not drawn: the API refuses
 * them anyway, and a viewer should see the data, not buttons that only answer "forbidden".
 */
/** @typedef {'viewer' | 'operator' | 'admin'} Role */
const rank = ['viewer', 'operator', 'admin']
let current = 'viewer'

/** @param {string | undefined} role */
export function setRole(role) {
  current = role && rank.includes(role) ? role : 'viewer'
}

/** Whether the user's role reaches `needed`. @param {Role} needed */
export const may = (needed) => rank.indexOf(current) >= rank.indexOf(needed)
