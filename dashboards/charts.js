import { h } from './dom.js'

/**
 * Line charts over time with uPlot (served by the admin from its npm package under /ui/vendor/, so
 * the console needs no network). One chart: a title, x = minutes, one line per series; a series'
 * `null` is a gap (no fetcher reported then), not a zero.
 *
 * @typedef {{ label: string, values: (number | null)[] }} Line
 */
const uplotPath = '/ui/vendor/uplot.js'
/** @type {Promise<any> | null} */
let loading = null
const uplot = () => (loading ??= import(/** @type {string} */ (uplotPath)).then((m) => m.default))

const palette = ['#1f6feb', '#1a7f37', '#cf222e', '#9a6700', '#8250df', '#0a7ea4', '#bf3989', '#57606a']

/**
 * @param {HTMLElement} box where the chart goes (its width decides the chart's)
 * @param {{ title: string, minutes: number[], lines: Line[], unit?: string, testid: string }} spec
 */
export async function lineChart(box, spec) {
  const uPlot = await uplot()
  const width = Math.max(240, box.clientWidth - 2)
  const chart = h('div.chart', { 'data-testid': spec.testid, 'data-points': String(spec.lines.reduce((n, l) => n + l.values.filter((v) => v !== null && v !== 0).length, 0)) })
  box.replaceChildren(h('h4', null, spec.title), chart)
  const unit = spec.unit ?? ''
  new uPlot({
    width,
    height: 180,
    legend: { show: spec.lines.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (/** @type {any} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [0, Math.max(1, max * 1.1, min)] } },
    axes: [
      { stroke: '#6b7785', grid: { stroke: '#eef1f4' }, size: 30 },
      { stroke: '#6b7785', grid: { stroke: '#eef1f4' }, size: 52, values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map((v) => `${compact(v)}${unit}`) },
    ],
    series: [
      {},
      ...spec.lines.map((line, i) => ({ label: line.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, points: { show: false } })),
    ],
  }, [spec.minutes, ...spec.lines.map((l) => l.values)], chart)
}

/** 1200 → 1.2k: axis labels stay narrow. @param {number} v */
function compact(v) {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`
  return `${+v.toFixed(2)}`
}
