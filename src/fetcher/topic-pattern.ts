import { RE2JS } from 're2js'

/**
 * An instance's `topicPattern`: a regular expression the whole topic name must match, run by RE2
 * (linear time whatever the pattern, so a pattern typed into the console cannot stall a fetcher).
 * Kafka's internal topics (names starting with `__`) never match.
 */
export type TopicPattern = { source: string; matches(topic: string): boolean }

export function compileTopicPattern(source: string): TopicPattern {
  const compiled = RE2JS.compile(source)
  return { source, matches: (topic) => !topic.startsWith('__') && compiled.matches(topic) }
}

/** Why `source` is not a usable pattern, or null. */
export function topicPatternProblem(source: string): string | null {
  if (source === '') return null
  try {
    RE2JS.compile(source)
    return null
  } catch (err) {
    return `not a valid regular expression (RE2 syntax): ${(err as Error).message}`
  }
}

/** The topics of `all` an instance reads: its list, or those its pattern matches, sorted. */
export function topicsToRead(config: { topics: string[]; topicPattern: string }, all: readonly string[]): string[] {
  if (config.topicPattern === '') return [...config.topics]
  const pattern = compileTopicPattern(config.topicPattern)
  return all.filter((t) => pattern.matches(t)).sort()
}
