import type { Said } from '../messages.ts'
import { compileNamePattern, namePatternProblem } from '../rows/name-pattern.ts'

/**
 * An instance's `topicPattern`: a regular expression the whole topic name must match, under the same
 * linear-time rule as the mapping patterns (rows/name-pattern.ts: RE2, bounded at the door), so a
 * pattern typed into the console cannot stall a fetcher. Kafka's internal topics (names starting
 * with `__`) never match.
 */
export type TopicPattern = { source: string; matches(topic: string): boolean }

export function compileTopicPattern(source: string): TopicPattern {
  const compiled = compileNamePattern(source)
  return { source, matches: (topic) => !topic.startsWith('__') && compiled.test(topic) }
}

/** Why `source` is not a usable pattern, or null. */
export function topicPatternProblem(source: string): Said | null {
  if (source === '') return null
  return namePatternProblem(source) ?? null
}

/** The topics of `all` an instance reads: its list, or those its pattern matches, sorted. */
export function topicsToRead(config: { topics: string[]; topicPattern: string }, all: readonly string[]): string[] {
  if (config.topicPattern === '') return [...config.topics]
  const pattern = compileTopicPattern(config.topicPattern)
  return all.filter((t) => pattern.matches(t)).sort()
}
