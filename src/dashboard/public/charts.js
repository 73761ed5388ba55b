// Time charts of the Veil dashboard on uPlot: one x axis of days or weeks, lines per measure,
// and suppressed buckets drawn as hatched columns, so a hidden value never looks like a zero.
(function () {
  'use strict'
  const charts = new Map()

  function hatch(ctx) {
    const c = document.createElement('canvas')
    c.width = c.height = 8
    const g = c.getContext('2d')
    g.fillStyle = '#eef0f4'; g.fillRect(0, 0, 8, 8)
    g.strokeStyle = '#cfd5df'; g.lineWidth = 2
    g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.stroke()
    return ctx.createPattern(c, 'repeat')
  }

  /** Draws a hatched column over every bucket whose value is suppressed. */
  function suppressedColumns(flags) {
    return {
      hooks: {
        drawClear: [(u) => {
          const xs = u.data[0]
          if (!flags.some(Boolean)) return
          const ctx = u.ctx
          const step = xs.length > 1 ? xs[1] - xs[0] : 86400
          ctx.save()
          ctx.fillStyle = hatch(ctx)
          flags.forEach((f, i) => {
            if (!f) return
            const left = u.valToPos(xs[i] - step / 2, 'x', true)
            const right = u.valToPos(xs[i] + step / 2, 'x', true)
            const l = Math.max(left, u.bbox.left)
            const r = Math.min(right, u.bbox.left + u.bbox.width)
            ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height)
          })
          ctx.restore()
        }],
      },
    }
  }

  /** Milliseconds as the unit a person reads best: 840 ms, 3.2 s, 14 min, 2.3 h. */
  function duration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`
    if (ms < 60000) return `${+(ms / 1000).toFixed(1)} s`
    if (ms < 3600000) return `${+(ms / 60000).toFixed(1)} min`
    return `${+(ms / 3600000).toFixed(1)} h`
  }
  const fmt = (v, unit) => (v == null ? '–' : unit === '%' ? `${+(v * 100).toFixed(1)} %` : unit === 'ms' ? duration(v) : Math.round(v).toLocaleString('en-US'))

  // Tick steps a person can read: counts 1-2-5, rates in round percents, durations in round
  // milliseconds, seconds, minutes and hours (never a tick every 7.3 minutes).
  const S = 1000, M = 60 * S, H = 60 * M
  const INCRS = {
    n: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8],
    '%': [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1],
    ms: [1, 2, 5, 10, 20, 50, 100, 200, 500, S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 12 * H, 24 * H],
  }
  const UNIT_NAMES = { ms: 'duration', '%': '%' }

  /** What a legend shows when the cursor is not on the chart: the latest shown value or the total. */
  function summaryOf(values, suppressed, how, unit) {
    const shown = values.map((v, i) => (suppressed && suppressed[i] ? null : v))
    if (how === 'total') {
      const xs = shown.filter((v) => v != null)
      return xs.length ? `total ${fmt(xs.reduce((a, b) => a + b, 0), unit)}` : (suppressed || []).some(Boolean) ? 'suppressed' : '–'
    }
    for (let i = shown.length - 1; i >= 0; i--) if (shown[i] != null) return `latest ${fmt(shown[i], unit)}`
    return (suppressed || []).some(Boolean) ? 'suppressed' : '–'
  }

  /**
   * el: container; buckets: ['2025-01-01', ...]; series: [{ label, values, color, unit, summary, suppressed, total }];
   * total: the API's total (null when suppressed), shown in the legend instead of a sum;
   * unit '' counts, 'ms' durations, '%' rates (0..1); summary 'total' or 'latest' (the legend's
   * value when not hovering); suppressed: [bool per bucket]; week: bucket width.
   */
  function timeChart(el, { buckets, series, suppressed, week, height = 230, k = 'k' }) {
    destroy(el)
    el.replaceChildren()
    const xs = buckets.map((b) => Date.parse(`${b}T00:00:00Z`) / 1000)
    const units = [...new Set(series.map((s) => s.unit || ''))]
    const opts = {
      width: Math.max(el.clientWidth, 280),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { points: { size: 7 } },
      legend: { live: true },
      padding: [8, 8, 0, 0],
      scales: { x: { time: true, range: (u, min, max) => [min - (week ? 3.5 : 0.5) * 86400, max + (week ? 3.5 : 0.5) * 86400] } },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e4e7ec' }, label: week ? 'Week (from Monday, UTC)' : 'Day (UTC)', labelSize: 20, labelFont: '12px system-ui, sans-serif', font: '11px system-ui, sans-serif' },
        ...units.map((unit, i) => ({
          scale: unit || 'n', side: i === 0 ? 3 : 1, stroke: '#667085', size: 58,
          label: axisLabel(series, unit), labelSize: 20, labelFont: '12px system-ui, sans-serif', font: '11px system-ui, sans-serif',
          grid: { show: i === 0, stroke: '#eef0f4' }, ticks: { stroke: '#e4e7ec' },
          values: (u, vals) => vals.map((v) => fmt(v, unit)),
          incrs: INCRS[unit] || INCRS.n,
        })),
      ],
      series: [
        { label: week ? 'Week' : 'Day', value: (u, v, si, i) => (i == null ? `${buckets[0]} to ${buckets[buckets.length - 1]}` : v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...series.map((s) => {
          // A series may have its own hidden buckets (one event name of several on a chart).
          const hiddenAt = s.suppressed || suppressed
          // The API's own total when given: a total may be suppressed though some days are shown.
          const summary = s.total !== undefined ? (s.total === null ? 'suppressed' : `total ${fmt(s.total, s.unit)}`) : summaryOf(s.values, hiddenAt, s.summary || 'latest', s.unit)
          return {
            label: s.label, stroke: s.color, width: 2, scale: s.unit || 'n',
            fill: s.fill ? `${s.color}22` : undefined,
            points: { show: buckets.length <= 45, size: 5, fill: s.color },
            spanGaps: false,
            value: (u, v, si, i) => (i == null ? summary : hiddenAt && hiddenAt[i] ? 'suppressed' : fmt(v, s.unit)),
          }
        }),
      ],
      plugins: [suppressedColumns(suppressed || [])],
    }
    // Counts start at zero and never squeeze into a 0..1 axis of repeated labels.
    for (const u of units) opts.scales[u || 'n'] = { range: (self, min, max) => [0, Math.max(u === '%' ? 0.05 : u === 'ms' ? 1000 : 5, (max || 0) * 1.1)] }
    const chart = new uPlot(opts, [xs, ...series.map((s) => s.values)], el)
    const hidden = (suppressed || []).filter(Boolean).length
    if (hidden > buckets.length / 2) {
      el.append(Object.assign(document.createElement('p'), { className: 'hint', textContent: `${hidden} of ${buckets.length} ${week ? 'weeks' : 'days'} are hidden (fewer than ${k} people in a salt period and day).${week ? '' : ' Weekly buckets may show more.'}` }))
    }
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 280), height }))
    ro.observe(el)
    charts.set(el, { chart, ro })
    return chart
  }

  /** An axis names what it measures: the series drawn on it, and its unit when not a count. */
  function axisLabel(series, unit) {
    const names = series.filter((s) => (s.unit || '') === unit).map((s) => s.axisLabel || s.label)
    const text = [...new Set(names)].join(', ')
    return UNIT_NAMES[unit] ? `${text} (${UNIT_NAMES[unit]})` : text
  }

  function destroy(el) {
    const c = charts.get(el)
    if (!c) return
    c.ro.disconnect(); c.chart.destroy(); charts.delete(el)
  }

  window.VeilCharts = { timeChart, destroy, fmt, summaryOf }
})()
