import { parseLogLine, type LogEntry } from './log-store.ts'

/**
 * The newest log lines of this process, in memory, for the node's own port (node-endpoint.ts):
 * readable even while Redis, where the console reads them, is away. A pino destination that
 * keeps a fixed number of lines and never throws.
 */
export type LogRing = { stream: { write(line: string): void }; recent(limit: number): LogEntry[] }

export function logRing(keep = 1000): LogRing {
  const lines: string[] = []
  return {
    stream: {
      write(line) {
        lines.push(line)
        if (lines.length > keep) lines.splice(0, lines.length - keep)
      },
    },
    recent(limit) {
      const out: LogEntry[] = []
      for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
        const entry = parseLogLine(lines[i]!.trimEnd())
        if (entry) out.push(entry)
      }
      return out
    },
  }
}
