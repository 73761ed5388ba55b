// Cards of the Veil dashboard: tables and charts from the reports API's answers. Text from the
// API is only ever set as textContent; suppressed cells render as one hatched badge.
(function () {
  'use strict'
  const { timeChart, fmt } = window.VeilCharts
  const COLORS = ['#3558d4', '#16a394', '#d98c16', '#9b51e0', '#d4493a', '#2d9cdb', '#6b7a90']

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue
      if (k === 'class') el.className = v
      else if (k === 'text') el.textContent = v
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
      else el.setAttribute(k, v === true ? '' : v)
    }
    for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)))
    return el
  }

  let k = 5
  const sup = () => h('span', { class: 'sup', title: `Hidden: fewer than ${k} people in one salt period and day, or hidden so that another small group cannot be worked out`, text: 'suppressed' })
  const cell = (v, unit) => (v === null ? sup() : fmt(v, unit))
  const empty = (text) => h('div', { class: 'empty', text })

  function bar(v, max) {
    const b = h('div', { class: 'bar' })
    b.style.width = `${max > 0 && v != null ? Math.max(2, (100 * v) / max) : 0}%`
    return b
  }

  /** A table: columns [{ label, get(row) -> value|Node, unit }], optional bar on one column. */
  function table(columns, rows, { barOf, other, total } = {}) {
    const max = barOf ? Math.max(0, ...rows.map((r) => barOf(r) ?? 0)) : 0
    const head = h('tr', {}, columns.map((c) => h('th', { text: c.label })), barOf ? h('th', {}) : null)
    const line = (r, cls) =>
      h('tr', { class: cls }, columns.map((c) => {
        const v = c.get(r)
        return h('td', {}, v instanceof Node ? v : v === null ? sup() : typeof v === 'number' ? fmt(v, c.unit) : String(v ?? ''))
      }), barOf ? h('td', { class: 'barcell' }, cls ? null : bar(barOf(r), max)) : null)
    return h('table', {}, h('thead', {}, head), h('tbody', {}, rows.map((r) => line(r)), other ? line(other, 'other') : null, total ? line(total, 'total') : null))
  }

  const otherRow = (o, label, measure) => (o ? { __label: `other (${o.cells} suppressed)`, [measure]: o.value ?? o.events } : null)
  const first = (label) => ({ label, get: (r) => r.__label ?? r.key })

  function kpis(el, { events, sessions, crashes, imports, queries }) {
    const card = (label, value, hint) => h('div', { class: 'kpi' }, h('div', { class: 'label', text: label }), h('div', { class: 'value' }, value), h('div', { class: 'hint', text: hint }))
    el.replaceChildren(
      card('Active users', cell(events.total.users), 'distinct per salt period, summed over periods'),
      card('Events', cell(events.total.events), `${events.names.filter((n) => !n.suppressed).length} event names shown`),
      card('Median session', cell(sessions.total.p50_ms, 'ms'), `p95 ${fmt(sessions.total.p95_ms, 'ms')}`),
      card('Crash rate', cell(crashes.total.crash_rate, '%'), `${fmt(crashes.total.crashes)} crashes / ${fmt(crashes.total.starts)} starts`),
      card('Import failures', cell(imports.total.failure_rate, '%'), `${fmt(imports.total.imports)} imports`),
      card('Report query p95', cell(queries.total.p95_ms, 'ms'), `${fmt(queries.total.queries)} queries, p50 ${fmt(queries.total.p50_ms, 'ms')}`),
    )
  }

  function activity(el, r, event, week) {
    const s = event ? r.series.find((x) => x.name === event) : r.all
    if (!s || (s.total.events === 0 && !s.total.suppressed)) return el.replaceChildren(empty('No events in this range yet.'))
    timeChart(el, {
      buckets: r.buckets, week,
      suppressed: s.points.map((p) => p.suppressed),
      series: [
        { label: 'Active users', values: s.points.map((p) => p.users), color: COLORS[0], fill: true },
        { label: 'Events', values: s.points.map((p) => p.events), color: COLORS[1], unit: 'events' },
      ],
    })
  }

  function names(el, r, onPick) {
    if (!r.names.length) return el.replaceChildren(empty('No events in this range yet.'))
    const rows = r.names.map((n) => ({ ...n, key: h('a', { href: '#', text: n.name, onclick: (e) => { e.preventDefault(); onPick(n.name) } }) }))
    el.replaceChildren(table([first('Event'), { label: 'Users', get: (x) => x.users }, { label: 'Events', get: (x) => x.events }], rows, { barOf: (x) => x.events, other: otherRow(r.other, '', 'events') }))
  }

  function pages(el, r) {
    if (r.total.views === 0) return el.replaceChildren(empty('No page views in this range.'))
    el.replaceChildren(table([first('Path'), { label: 'Users', get: (x) => x.users }, { label: 'Views', get: (x) => x.views }],
      r.paths.map((p) => ({ ...p, key: p.path })), { barOf: (x) => x.views, other: otherRow(r.other, '', 'views'), total: { __label: 'all pages', users: r.total.users, views: r.total.views } }))
  }

  function sessions(el, r, week) {
    if (r.total.sessions === 0) return el.replaceChildren(empty('No app_stop events (sessions) in this range.'))
    timeChart(el, { buckets: r.points.map((p) => p.bucket), week, suppressed: r.points.map((p) => p.suppressed), series: [
      { label: 'p50', values: r.points.map((p) => (p.sessions === 0 ? null : p.p50_ms)), color: COLORS[0], unit: 'ms' },
      { label: 'p95', values: r.points.map((p) => (p.sessions === 0 ? null : p.p95_ms)), color: COLORS[2], unit: 'ms' },
      { label: 'Sessions', values: r.points.map((p) => p.sessions), color: COLORS[1] },
    ] })
  }

  function imports(el, r, week) {
    if (r.total.imports === 0) return el.replaceChildren(empty('No CM data imports in this range.'))
    timeChart(el, { buckets: r.points.map((p) => p.bucket), week, suppressed: r.points.map((p) => p.suppressed), series: [
      { label: 'Imports', values: r.points.map((p) => p.imports), color: COLORS[0], fill: true },
      { label: 'Failure rate', values: r.points.map((p) => (p.imports ? p.failure_rate : null)), color: COLORS[4], unit: '%' },
    ] })
  }

  /** Totals per object and action over the range, then the series of all six over time. */
  function changes(el, r, week) {
    if (r.series.every((s) => s.total.events === 0)) return el.replaceChildren(empty('No rule or label changes in this range.'))
    const total = (name) => r.series.find((s) => s.name === name).total.events
    const rows = ['rule', 'label'].map((o) => ({ key: o === 'rule' ? 'Rules' : 'Labels', add: total(`${o}_add`), change: total(`${o}_change`), remove: total(`${o}_remove`) }))
    el.replaceChildren(table([first(''), { label: 'Added', get: (x) => x.add }, { label: 'Changed', get: (x) => x.change }, { label: 'Removed', get: (x) => x.remove }], rows))
    const chart = h('div', { class: 'chart small' })
    el.append(chart)
    timeChart(chart, { buckets: r.buckets, week, height: 170, suppressed: r.buckets.map((_, i) => r.series.some((s) => s.points[i].suppressed)), series:
      r.series.map((s, i) => ({ label: s.name.replace('_', ' '), values: s.points.map((p) => p.events), color: COLORS[i % COLORS.length] })) })
  }

  function reports(el, r) {
    if (r.total.queries === 0) return el.replaceChildren(empty('No report queries in this range.'))
    el.replaceChildren(table([first('Report'), { label: 'Queries', get: (x) => x.queries }, { label: 'Users', get: (x) => x.users },
      { label: 'p50', get: (x) => x.p50_ms, unit: 'ms' }, { label: 'p95', get: (x) => x.p95_ms, unit: 'ms' }, { label: 'Failed', get: (x) => x.failure_rate, unit: '%' }],
    r.reports.map((x) => ({ ...x, key: x.report })), { other: otherRow(r.other, '', 'queries'), total: { __label: 'all reports', ...r.total } }))
  }

  function crashes(el, r) {
    if (!r.versions.length) return el.replaceChildren(empty('No app starts or crashes in this range.'))
    el.replaceChildren(table([first('Version'), { label: 'Starts', get: (x) => x.starts }, { label: 'Crashes', get: (x) => x.crashes }, { label: 'Crash rate', get: (x) => x.crash_rate, unit: '%' }],
      r.versions.map((v) => ({ ...v, key: v.version || '(unknown)' })), { total: { __label: 'all versions', ...r.total } }))
  }

  function fingerprints(el, r) {
    const f = r.fingerprints
    if (f.total.crashes === 0) return el.replaceChildren(empty('No crashes in this range.'))
    el.replaceChildren(table([first('Fingerprint'), { label: 'Type', get: (x) => x.error_type }, { label: 'Users', get: (x) => x.users }, { label: 'Crashes', get: (x) => x.crashes }],
      f.rows.map((x) => ({ ...x, key: x.fingerprint || '(none)' })), { barOf: (x) => x.crashes, other: otherRow(f.other, '', 'crashes') }))
  }

  function feedback(el, r) {
    if (r.total.count === 0) return el.replaceChildren(empty('No feedback in this range.'))
    const rows = [...r.ratings].reverse().filter((x) => x.suppressed || x.count > 0)
      .map((x) => ({ ...x, key: x.rating ? h('span', { class: 'stars', text: '★'.repeat(x.rating) + '☆'.repeat(5 - x.rating) }) : 'no rating' }))
    const list = r.texts.length
      ? h('ul', { class: 'texts' }, r.texts.map((t) => h('li', {}, h('span', { class: 'stars', text: `${t.rating ? '★'.repeat(t.rating) : '–'} ` }), h('span', { text: t.text }))))
      : h('p', { class: 'muted', text: `No texts shown: texts appear for ratings with at least ${k} people who wrote one.` })
    el.replaceChildren(table([first('Rating'), { label: 'Users', get: (x) => x.users }, { label: 'Count', get: (x) => x.count }], rows, { barOf: (x) => x.count }), list)
  }

  function breakdown(el, r) {
    if (r.total.events === 0 && !r.total.suppressed) return el.replaceChildren(empty('No events in this range yet.'))
    el.replaceChildren(table([first(r.dimension.replace('_', ' ')), { label: 'Users', get: (x) => x.users }, { label: 'Events', get: (x) => x.events }],
      r.rows.map((x) => ({ ...x, key: x.value || '(unknown)' })), { barOf: (x) => x.users, other: otherRow(r.other, '', 'events') }))
  }

  window.VeilRender = { h, setK: (v) => { k = v }, kpis, activity, names, pages, sessions, imports, changes, reports, crashes, fingerprints, feedback, breakdown }
})()
