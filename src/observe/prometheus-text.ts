/**
 * Prometheus' text exposition format (version 0.0.4), written by hand: a HELP and a TYPE line per
 * metric, then one line per sample. Label values and help texts are escaped as the format says,
 * so an instance or topic name can never break a scrape.
 */
export type Sample = { labels?: Record<string, string>; value: number }
export type Metric = { name: string; help: string; type: 'gauge' | 'counter'; samples: Sample[] }

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/

export const escapeLabelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
export const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

export function exposition(metrics: Metric[]): string {
  const lines: string[] = []
  for (const m of metrics) {
    if (!metricName.test(m.name)) throw new Error(`invalid metric name ${m.name}`)
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`)
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => {
        if (!labelName.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${k}`)
        return `${k}="${escapeLabelValue(v)}"`
      })
      lines.push(`${m.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`)
    }
  }
  return lines.join('\n') + '\n'
}
