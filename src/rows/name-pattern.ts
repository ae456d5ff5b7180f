import { RE2JS } from 're2js'
import { say, type Said } from '../messages.ts'
import { BoundedMap } from './bounded-map.ts'

/**
 * Patterns that match a whole name (a source database or table, a Kafka topic) in time linear in
 * the name, whatever the pattern: RE2's automata (re2js), never a backtracking engine, so a
 * careless `(a+)+` cannot stop the admin or a loader. The cost of compiling is bounded at the door:
 * the pattern's length, its repeat counts and the size of its program.
 *
 * RE2 syntax is JavaScript's without look-around and back-references (both refused here with a
 * clear message); `(?<name>…)` and `(?P<name>…)` name groups.
 */
export const maxPatternLength = 1000
/** A MySQL identifier has at most 64 characters: a larger repeat count can only be a mistake. */
export const maxRepeatCount = 64
/** All repeat counts of one pattern together: each copies its atom, and copies are what compiling costs. */
export const maxRepeatTotal = 256
/** Instructions of the compiled program; keeps compiling a pattern in the milliseconds. */
export const maxProgramSize = 20_000

export type NamePattern = {
  source: string
  /** Capture groups, in order (for `${1}`…). */
  groupCount: number
  groupNames: string[]
  /** Whether the whole name matches. */
  test(name: string): boolean
  /** The whole-name match's groups ([0] is the name), or null; named groups in `groups`. */
  match(name: string): { groups: (string | undefined)[]; named: Record<string, string | undefined> } | null
}

export class NamePatternError extends Error {
  constructor(readonly said: Said) {
    super(said.message)
  }
}

/** Why the pattern cannot be used, as a message for a 400; undefined when it can. */
export function namePatternProblem(source: string): Said | undefined {
  try {
    compileNamePattern(source)
    return undefined
  } catch (err) {
    if (err instanceof NamePatternError) return err.said
    throw err
  }
}

// Compiled patterns by source: every loader, preview and stored-environment read of the same
// rule compiles it once. Bounded, oldest out first.
const compiled = new BoundedMap<string, NamePattern>(2_000)

/** The pattern compiled (once per source); a NamePatternError says why it cannot be used. */
export function compileNamePattern(source: string): NamePattern {
  const known = compiled.get(source)
  if (known) return known
  const pattern = compileUncached(source)
  compiled.set(source, pattern)
  return pattern
}

function compileUncached(source: string): NamePattern {
  if (source.length === 0) throw new NamePatternError(say('pattern.empty'))
  if (source.length > maxPatternLength) throw new NamePatternError(say('pattern.too_long', { maximum: maxPatternLength, length: source.length }))
  // Checked before compiling, so a huge count costs nothing: RE2 itself allows up to 1000.
  let total = 0
  for (const m of source.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    const counts = [m[1], m[2]].filter((n): n is string => n !== undefined && n !== '').map(Number)
    if (counts.some((n) => n > maxRepeatCount)) throw new NamePatternError(say('pattern.repeat_too_big', { maximum: maxRepeatCount, repeat: m[0] }))
    total += Math.max(...counts)
  }
  if (total > maxRepeatTotal) throw new NamePatternError(say('pattern.repeat_total', { maximum: maxRepeatTotal, total }))
  let re: RE2JS
  try {
    re = RE2JS.compile(`(?:${source})`)
  } catch (err) {
    throw new NamePatternError(explain((err as Error).message))
  }
  if (re.programSize() > maxProgramSize) throw new NamePatternError(say('pattern.too_complex', { steps: re.programSize(), maximum: maxProgramSize }))
  const named = re.namedGroups() as Record<string, number>
  const groupNames = Object.keys(named)
  return {
    source,
    groupCount: re.groupCount(),
    groupNames,
    test: (name) => re.testExact(name),
    match(name) {
      const m = re.matcher(name)
      if (!m.matches()) return null
      const groups: (string | undefined)[] = []
      for (let i = 0; i <= re.groupCount(); i++) groups.push(m.group(i) ?? undefined)
      const byName: Record<string, string | undefined> = {}
      for (const g of groupNames) byName[g] = m.group(g) ?? undefined
      return { groups, named: byName }
    },
  }
}

// RE2 refuses what needs backtracking; say which feature it was, since its own words do not.
function explain(message: string): Said {
  const detail = message.replace(/^error parsing regexp: /, '')
  if (/\(\?<?[=!]/.test(detail)) return say('pattern.lookaround', { detail })
  if (/\\[1-9]/.test(detail)) return say('pattern.backreference', { detail })
  return say('pattern.syntax', { detail })
}
