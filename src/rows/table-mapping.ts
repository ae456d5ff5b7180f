import type { MappingEnv, MappingRule } from '../instances/config.ts'

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

export function createTableRouter(env: MappingEnv): TableRouter {
  const rules = env.rules.map((rule, ruleIndex) => ({
    rule,
    ruleIndex,
    db: new RegExp(`^(?:${rule.sourceDatabase})$`),
    table: new RegExp(`^(?:${rule.sourceTable})$`),
  }))
  // Sources are few and repeat on every message: remember each answer, including "no rule".
  const routes = new Map<string, RouteTarget | null>()

  return (database, table) => {
    const key = `${database}\u0000${table}`
    const known = routes.get(key)
    if (known !== undefined) return known
    let route: RouteTarget | null = null
    for (const r of rules) {
      const dbMatch = r.db.exec(database)
      const tableMatch = dbMatch && r.table.exec(table)
      if (!dbMatch || !tableMatch) continue
      const values = (token: string): string => {
        if (token === 'db') return database
        if (token === 'table') return table
        if (/^\d+$/.test(token)) return tableMatch[Number(token)] ?? ''
        return tableMatch.groups?.[token] ?? dbMatch.groups?.[token] ?? ''
      }
      const fill = (template: string) => template.replace(/\$\{([^}]*)\}/g, (_, token: string) => values(token))
      route = { rule: r.rule, ruleIndex: r.ruleIndex, database: fill(r.rule.targetDatabase), table: fill(r.rule.targetTable) }
      break
    }
    routes.set(key, route)
    return route
  }
}
