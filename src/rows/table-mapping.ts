import type { MappingEnv, MappingRule } from '../instances/config.ts'
import { BoundedMap } from './bounded-map.ts'
import { compileNamePattern } from './name-pattern.ts'

/**
 * Source table → target table, by the first rule of the environment whose full-match patterns
 * accept the source database and table (docs/design.md "Table mapping environments").
 */
export type RouteTarget = {
  rule: MappingRule
  ruleIndex: number
  database: string
  table: string
}

export type TableRouter = (database: string, table: string) => RouteTarget | null

/**
 * Source tables a router remembers its answer for. A router lives as long as its instance's config,
 * and sharded or per-day tables bring new names for ever; past this many the oldest is routed again.
 */
export const maxRoutesRemembered = 10_000

export function createTableRouter(env: MappingEnv): TableRouter {
  const rules = env.rules.map((rule, ruleIndex) => ({
    rule,
    ruleIndex,
    // Linear-time whole-name patterns; a stored rule this engine refuses throws here, naming it,
    // so the load retries with that reason instead of routing anything by a guess.
    db: compileOrExplain(env, ruleIndex, 'sourceDatabase', rule.sourceDatabase),
    table: compileOrExplain(env, ruleIndex, 'sourceTable', rule.sourceTable),
    // Groups are needed only when a template names one: the common rule matches without them.
    needsGroups: /\$\{(?!db\}|table\})/.test(rule.targetDatabase + rule.targetTable),
  }))
  // Sources repeat on every message: remember each answer, including "no rule".
  const routes = new BoundedMap<string, RouteTarget | null>(maxRoutesRemembered)

  return (database, table) => {
    const key = `${database}\u0000${table}`
    const known = routes.get(key)
    if (known !== undefined) return known
    let route: RouteTarget | null = null
    for (const r of rules) {
      if (!r.db.test(database) || !r.table.test(table)) continue
      const dbMatch = r.needsGroups ? r.db.match(database) : null
      const tableMatch = r.needsGroups ? r.table.match(table) : null
      const values = (token: string): string => {
        if (token === 'db') return database
        if (token === 'table') return table
        if (/^\d+$/.test(token)) return tableMatch?.groups[Number(token)] ?? ''
        return tableMatch?.named[token] ?? dbMatch?.named[token] ?? ''
      }
      const fill = (template: string) => template.replace(/\$\{([^}]*)\}/g, (_, token: string) => values(token))
      route = { rule: r.rule, ruleIndex: r.ruleIndex, database: fill(r.rule.targetDatabase), table: fill(r.rule.targetTable) }
      break
    }
    routes.set(key, route)
    return route
  }
}

function compileOrExplain(env: MappingEnv, ruleIndex: number, field: string, source: string) {
  try {
    return compileNamePattern(source)
  } catch (err) {
    throw new Error(`mapping environment ${env.name}, rule ${ruleIndex + 1}, ${field}: ${(err as Error).message}`)
  }
}
