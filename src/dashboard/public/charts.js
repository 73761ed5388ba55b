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
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`
    if (ms < 3600000) return `${Math.round(ms / 60000)} min`
    return `${(ms / 3600000).toFixed(1)} h`
  }
  const fmt = (v, unit) => (v == null ? '–' : unit === '%' ? `${(v * 100).toFixed(1)} %` : unit === 'ms' ? duration(v) : Math.round(v).toLocaleString())

  /**
   * el: container; buckets: ['2025-01-01', ...]; series: [{ label, values, color, unit, axis: 0|1 }];
   * suppressed: [bool per bucket]; week: bucket width.
   */
  function timeChart(el, { buckets, series, suppressed, week, height = 230 }) {
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
        { stroke: '#667085', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e4e7ec' } },
        ...units.map((unit, i) => ({
          scale: unit || 'n', side: i === 0 ? 3 : 1, stroke: '#667085', size: 56,
          grid: { show: i === 0, stroke: '#eef0f4' }, ticks: { stroke: '#e4e7ec' },
          values: (u, vals) => vals.map((v) => fmt(v, unit)),
          incrs: unit === '%' || unit === 'ms' ? undefined : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000],
        })),
      ],
      series: [
        { value: (u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...series.map((s) => ({
          label: s.label, stroke: s.color, width: 2, scale: s.unit || 'n',
          fill: s.fill ? `${s.color}22` : undefined,
          points: { show: buckets.length <= 45, size: 5, fill: s.color },
          spanGaps: false,
          value: (u, v, si, i) => (i != null && suppressed && suppressed[i] ? 'suppressed' : fmt(v, s.unit)),
        })),
      ],
      plugins: [suppressedColumns(suppressed || [])],
    }
    // Counts start at zero and never squeeze into a 0..1 axis of repeated labels.
    for (const u of units) opts.scales[u || 'n'] = { range: (self, min, max) => [0, Math.max(u === '%' ? 0.05 : u === 'ms' ? 1000 : 5, (max || 0) * 1.1)] }
    const chart = new uPlot(opts, [xs, ...series.map((s) => s.values)], el)
    const hidden = (suppressed || []).filter(Boolean).length
    if (hidden > buckets.length / 2) {
      el.append(Object.assign(document.createElement('p'), { className: 'hint', textContent: `${hidden} of ${buckets.length} ${week ? 'weeks' : 'days'} are hidden (fewer than k people).${week ? '' : ' Weekly buckets may show more.'}` }))
    }
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 280), height }))
    ro.observe(el)
    charts.set(el, { chart, ro })
    return chart
  }

  function destroy(el) {
    const c = charts.get(el)
    if (!c) return
    c.ro.disconnect(); c.chart.destroy(); charts.delete(el)
  }

  window.VeilCharts = { timeChart, destroy, fmt }
})()
