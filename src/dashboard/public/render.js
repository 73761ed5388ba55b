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
  let note = ''
  // "suppressed" is a button: one click shows why (k, per salt period and day), in words.
  const reason = () => `Suppressed: fewer than ${k} people in each salt period and day behind this figure, or hidden so that a smaller group cannot be worked out by subtraction. People are counted per salt period (a day by default), and every number is the sum of the (salt period, day) slices that reached ${k} on their own.`
  const sup = () => h('button', { type: 'button', class: 'sup', title: reason(), 'aria-haspopup': 'dialog', text: 'suppressed', onclick: (e) => explain(e.currentTarget) })

  /** Shows why a figure is hidden, next to the badge that was clicked; a second click or Esc closes it. */
  function explain(anchor) {
    let box = document.getElementById('why')
    if (box && box.__anchor === anchor) return closeWhy()
    closeWhy()
    box = h('div', { id: 'why', class: 'why', role: 'dialog', 'aria-label': 'Why this is suppressed' },
      h('p', { text: reason() }), note ? h('p', { class: 'muted', text: note }) : null,
      h('button', { type: 'button', class: 'link', text: 'Close', onclick: closeWhy }))
    box.__anchor = anchor
    document.body.append(box)
    const r = anchor.getBoundingClientRect()
    box.style.top = `${window.scrollY + r.bottom + 6}px`
    box.style.left = `${Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8))}px`
  }
  function closeWhy() { document.getElementById('why')?.remove() }
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeWhy() })
  const cell = (v, unit) => (v === null ? sup() : fmt(v, unit))
  const empty = (text) => h('div', { class: 'empty', text })
  /** A card whose data exists but may not be shown: said so, with the reason one click away. */
  const hidden = (text) => h('div', { class: 'empty suppressed' }, sup(), h('span', { text: ` ${text}, so nothing is shown.` }))

  function bar(v, max) {
    const b = h('div', { class: 'bar' })
    b.style.width = `${max > 0 && v != null ? Math.max(2, (100 * v) / max) : 0}%`
    return b
  }

  /** A name that fits its column or is elided, with the whole name in its tooltip. */
  const fit = (text, node) => h('span', { class: 'name', title: text }, node ?? text)

  /**
   * A table: columns [{ label, get(row) -> value|Node, unit, csv(row) }], optional bar on one
   * column, and a CSV download of exactly the rows shown (built here, from the loaded answer).
   */
  function table(columns, rows, { barOf, other, total, file } = {}) {
    const max = barOf ? Math.max(0, ...rows.map((r) => barOf(r) ?? 0)) : 0
    const head = h('tr', {}, columns.map((c) => h('th', { text: c.label })), barOf ? h('th', {}) : null)
    const line = (r, cls) =>
      h('tr', { class: cls }, columns.map((c, i) => {
        const v = c.get(r)
        const shown = v instanceof Node ? v : v === null ? sup() : typeof v === 'number' ? fmt(v, c.unit) : String(v ?? '')
        return h('td', {}, i === 0 ? fit(typeof v === 'string' ? v : (r.__label ?? v?.textContent ?? ''), shown) : shown)
      }), barOf ? h('td', { class: 'barcell' }, cls ? null : bar(barOf(r), max)) : null)
    const all = [...rows, ...(other ? [other] : []), ...(total ? [total] : [])]
    const csv = () => toCsv([columns.map((c) => c.label || 'name'), ...all.map((r) => columns.map((c) => csvValue(c, r)))])
    return h('div', { class: 'tablewrap' },
      h('table', {}, h('thead', {}, head), h('tbody', {}, rows.map((r) => line(r)), other ? line(other, 'other') : null, total ? line(total, 'total') : null)),
      h('div', { class: 'tools' }, h('button', { type: 'button', class: 'link csv', text: 'Download CSV', onclick: () => download(`${file || 'veil-table'}.csv`, csv()) })))
  }

  // CSV cells: numbers raw (rates as fractions, durations in ms, as the API gives them), a
  // suppressed cell as the word "suppressed", never a zero.
  function csvValue(c, r) {
    if (c.csv) return c.csv(r)
    const v = c.get(r)
    if (v === null) return 'suppressed'
    if (v instanceof Node) return v.textContent
    return v ?? ''
  }
  function toCsv(lines) {
    const q = (v) => { const t = typeof v === 'string' && /^[=+@-]/.test(v) && Number.isNaN(Number(v)) ? `'${v}` : String(v); return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t }
    return lines.map((l) => l.map(q).join(',')).join('\r\n') + '\r\n'
  }
  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
    const a = h('a', { href: url, download: name })
    document.body.append(a); a.click(); a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10000)
  }

  // The API says how much other holds, never how many cells: that would tell values under k exist.
  const otherRow = (o, label, measure) => (o ? { __label: 'other (not listed)', [measure]: o.value ?? o.events } : null)
  const first = (label) => ({ label, get: (r) => r.__label ?? r.key })

  /**
   * The headline cards, each beside the same figure over the previous period (same length, just
   * before). prev is null while it loads, { failed } when it could not be loaded. Each figure is
   * shown, suppressed, or absent (no such events): the three are never confused.
   */
  /**
   * The headline cards. With `followsPlan` (an app that declares its own events), a card of a
   * catalog event (sessions, crashes, imports, report queries) with no data in the range is
   * hidden, like the product cards (app.js followPlan); People and Events always show.
   */
  function kpis(el, cur, prev, days, followsPlan = false) {
    const vs = `vs previous ${days} day${days === 1 ? '' : 's'}`
    // [value, state] of one headline figure in one answer: 'ok', 'suppressed' or 'none'.
    const figures = {
      people: (a) => [a.events.total.users, a.events.total.suppressed ? 'suppressed' : a.events.total.events ? 'ok' : 'none'],
      events: (a) => [a.events.total.events, a.events.total.suppressed ? 'suppressed' : a.events.total.events ? 'ok' : 'none'],
      session: (a) => [a.sessions.total.p50_ms, a.sessions.total.suppressed ? 'suppressed' : a.sessions.total.sessions ? 'ok' : 'none'],
      crash: (a) => [a.crashes.total.crash_rate, a.crashes.total.suppressed ? 'suppressed' : a.crashes.total.starts ? 'ok' : 'none'],
      imports: (a) => [a.imports.total.failure_rate, a.imports.total.suppressed ? 'suppressed' : a.imports.total.imports ? 'ok' : 'none'],
      queries: (a) => [a.queries.total.p95_ms, a.queries.total.suppressed ? 'suppressed' : a.queries.total.queries ? 'ok' : 'none'],
    }
    const delta = (key, unit) => {
      if (!prev) return h('div', { class: 'delta muted', text: `${vs}: loading` })
      if (prev.failed) return h('div', { class: 'delta muted', text: `${vs}: could not be loaded` })
      const [now, state] = figures[key](cur)
      const [before, was] = figures[key](prev)
      if (state !== 'ok') return h('div', { class: 'delta muted', text: `${vs}: no comparison` })
      if (was === 'suppressed') return h('div', { class: 'delta muted', text: `${vs}: suppressed then` })
      if (was === 'none') return h('div', { class: 'delta muted', text: `${vs}: no data then` })
      if (unit === '%') {
        const pp = (now - before) * 100
        return h('div', { class: `delta ${pp > 0 ? 'up' : pp < 0 ? 'down' : ''}`, text: `${pp > 0 ? '+' : ''}${pp.toFixed(1)} pp ${vs} (${fmt(before, '%')})` })
      }
      if (!before) return h('div', { class: 'delta muted', text: `${vs}: ${fmt(before, unit)} then` })
      const pc = ((now - before) / before) * 100
      return h('div', { class: `delta ${pc > 0 ? 'up' : pc < 0 ? 'down' : ''}`, text: `${pc > 0 ? '+' : ''}${pc.toFixed(pc !== 0 && Math.abs(pc) < 10 ? 1 : 0)} % ${vs} (${fmt(before, unit)})` })
    }
    const value = (key, unit) => {
      const [v, state] = figures[key](cur)
      return state === 'suppressed' ? sup() : state === 'none' ? h('span', { class: 'none', text: 'no data' }) : fmt(v, unit)
    }
    const card = (label, key, unit, hint) =>
      h('div', { class: 'kpi', 'data-kpi': key, hidden: followsPlan && key !== 'people' && key !== 'events' && figures[key](cur)[1] === 'none' },
        h('div', { class: 'label', text: label }), h('div', { class: 'value' }, value(key, unit)), delta(key, unit), h('div', { class: 'hint', text: hint }))
    const said = (v, unit, what) => (v == null ? `${what} suppressed` : `${fmt(v, unit)} ${what}`)
    const c = cur
    el.replaceChildren(
      card('People', 'people', '', 'users, visitors and installations, once per salt period; all events, not the event filter'),
      card('Events', 'events', '', `all events; ${c.events.names.filter((n) => !n.suppressed).length} event names shown`),
      card('Median session', 'session', 'ms', c.sessions.total.sessions ? `p95 ${fmt(c.sessions.total.p95_ms, 'ms')}, from app_stop uptime` : 'from app_stop uptime'),
      card('Crash rate', 'crash', '%', `${said(c.crashes.total.crashes, '', 'crashes')} / ${said(c.crashes.total.starts, '', 'app starts')}`),
      card('Import failures', 'imports', '%', said(c.imports.total.imports, '', 'imports')),
      card('Report query p95', 'queries', 'ms', c.queries.total.suppressed ? 'report_query events' : `${fmt(c.queries.total.queries)} queries, p50 ${fmt(c.queries.total.p50_ms, 'ms')}`),
    )
  }

  function activity(el, r, event, week) {
    const s = event ? r.series.find((x) => x.name === event) : r.all
    if (!s && event) return el.replaceChildren(empty(`No day of ${event} in this range has ${k} or more people, or it has no events: nothing of it can be shown.`))
    if (!s || (s.total.events === 0 && !s.total.suppressed)) return el.replaceChildren(empty('No events in this range yet.'))
    if (s.total.suppressed) return el.replaceChildren(hidden(`Every day of ${event || 'every event'} in this range had fewer than ${k} people`))
    timeChart(el, { k,
      buckets: r.buckets, week,
      suppressed: s.points.map((p) => p.suppressed), total: s.total.suppressed ? null : s.total.events,
      series: [
        { label: 'People', axisLabel: week ? 'People per week' : 'People per day', values: s.points.map((p) => p.users), color: COLORS[0], fill: true, summary: 'latest' },
        { label: 'Events', values: s.points.map((p) => p.events), color: COLORS[1], unit: 'events', summary: 'total' },
      ],
    })
  }

  function names(el, r, onPick) {
    if (!r.names.length && r.total.suppressed) return el.replaceChildren(hidden(`Every day of every event in this range had fewer than ${k} people`))
    if (!r.names.length) return el.replaceChildren(empty('No events in this range yet.'))
    const rows = r.names.map((n) => ({ ...n, key: h('a', { href: '#', text: n.name, title: `Filter the activity and breakdown cards by ${n.name}`, onclick: (e) => { e.preventDefault(); onPick(n.name) } }) }))
    el.replaceChildren(table([first('Event'), { label: 'People', get: (x) => x.users }, { label: 'Events', get: (x) => x.events }], rows, { barOf: (x) => x.events, other: otherRow(r.other, '', 'events'), file: 'events-by-name' }))
  }

  function pages(el, r) {
    if (r.total.views === 0) return el.replaceChildren(empty('No page views in this range.'))
    if (!r.paths.length && r.total.suppressed) return el.replaceChildren(hidden(`Every day of page_view in this range had fewer than ${k} people`))
    el.replaceChildren(table([first('Path'), { label: 'People', get: (x) => x.users }, { label: 'Views', get: (x) => x.views }],
      r.paths.map((p) => ({ ...p, key: p.path })), { barOf: (x) => x.views, other: otherRow(r.other, '', 'views'), total: { __label: 'all pages', users: r.total.users, views: r.total.views }, file: 'page-views-by-path' }))
  }

  function sessions(el, r, week) {
    if (r.total.suppressed) return el.replaceChildren(hidden(`Every day of app_stop in this range had fewer than ${k} people`))
    if (r.total.sessions === 0) return el.replaceChildren(empty('No app_stop events (sessions) in this range.'))
    timeChart(el, { k, buckets: r.points.map((p) => p.bucket), week, suppressed: r.points.map((p) => p.suppressed), series: [
      { label: 'p50', axisLabel: 'Session length', values: r.points.map((p) => (p.sessions === 0 ? null : p.p50_ms)), color: COLORS[0], unit: 'ms' },
      { label: 'p95', axisLabel: 'Session length', values: r.points.map((p) => (p.sessions === 0 ? null : p.p95_ms)), color: COLORS[2], unit: 'ms' },
      { label: 'Sessions', values: r.points.map((p) => p.sessions), color: COLORS[1], summary: 'total' },
    ] })
  }

  function imports(el, r, week) {
    if (r.total.suppressed) return el.replaceChildren(hidden(`Every day of cm_data_import in this range had fewer than ${k} people`))
    if (r.total.imports === 0) return el.replaceChildren(empty('No CM data imports in this range.'))
    timeChart(el, { k, buckets: r.points.map((p) => p.bucket), week, suppressed: r.points.map((p) => p.suppressed), series: [
      { label: 'Imports', values: r.points.map((p) => p.imports), color: COLORS[0], fill: true, summary: 'total' },
      { label: 'Failure rate', values: r.points.map((p) => (p.imports ? p.failure_rate : null)), color: COLORS[4], unit: '%' },
    ] })
  }

  /** Totals per object and action over the range, then the series of all six over time. */
  function changes(el, r, week) {
    if (r.series.every((s) => s.total.events === 0)) return el.replaceChildren(empty('No rule or label changes in this range.'))
    const total = (name) => r.series.find((s) => s.name === name).total.events
    const rows = ['rule', 'label'].map((o) => ({ key: o === 'rule' ? 'Rules' : 'Labels', add: total(`${o}_add`), change: total(`${o}_change`), remove: total(`${o}_remove`) }))
    el.replaceChildren(table([first('Object'), { label: 'Added', get: (x) => x.add }, { label: 'Changed', get: (x) => x.change }, { label: 'Removed', get: (x) => x.remove }], rows, { file: 'rules-and-labels' }))
    const chart = h('div', { class: 'chart small' })
    el.append(chart)
    // A day is hatched only when nothing of it is shown; a single hidden name says so in its legend.
    const nothingShown = (i) => r.series.some((s) => s.points[i].suppressed) && r.series.every((s) => s.points[i].suppressed || !s.points[i].events)
    timeChart(chart, { buckets: r.buckets, week, k, height: 170, suppressed: r.buckets.map((_, i) => nothingShown(i)), series:
      r.series.map((s, i) => ({ label: s.name.replace('_', ' '), axisLabel: 'Changes', values: s.points.map((p) => p.events), suppressed: s.points.map((p) => p.suppressed), total: s.total.suppressed ? null : s.total.events, color: COLORS[i % COLORS.length], summary: 'total' })) })
  }

  /**
   * Values fewer than k people of one salt period sent are never named (PRIVACY.md 17): the API
   * counts their events in `rare`, shown as one line with the reason.
   */
  function rareLine(rare, what) {
    if (!rare || !rare.events) return []
    return [h('p', { class: 'muted rare', text: `${rare.events.toLocaleString('en')} ${what} with rare values, not named: fewer than ${k} people of one salt period sent them.` })]
  }

  function reports(el, r) {
    if (!r.reports.length && r.total.suppressed) return el.replaceChildren(hidden(`Every day of report_query in this range had fewer than ${k} people`))
    if (r.total.queries === 0) return el.replaceChildren(empty('No report queries in this range.'))
    el.replaceChildren(table([first('Report'), { label: 'Queries', get: (x) => x.queries }, { label: 'People', get: (x) => x.users },
      { label: 'p50', get: (x) => x.p50_ms, unit: 'ms' }, { label: 'p95', get: (x) => x.p95_ms, unit: 'ms' }, { label: 'Failed', get: (x) => x.failure_rate, unit: '%' }],
    r.reports.map((x) => ({ ...x, key: x.report })), { other: otherRow(r.other, '', 'queries'), total: { __label: 'all reports', ...r.total }, file: 'report-queries' }), ...rareLine(r.rare, 'queries'))
  }

  /**
   * Crash rate per version. "No data" is said only when there is none: versions may all be
   * hidden while the totals and the fingerprints are shown, and that is said as such.
   */
  function crashes(el, r) {
    const t = r.total
    const anything = (t.starts ?? 0) > 0 || (t.crashes ?? 0) > 0 || r.fingerprints.total.crashes > 0 || r.fingerprints.total.suppressed
    if (!r.versions.length && !anything && !t.suppressed) return el.replaceChildren(empty('No app starts or crashes in this range.'))
    if (!r.versions.length && t.suppressed && !(t.starts ?? 0) && !(t.crashes ?? 0)) return el.replaceChildren(hidden(`Every day of app_start and app_crash in this range had fewer than ${k} people`))
    const rows = r.versions.map((v) => ({ ...v, key: v.version || '(unknown)' }))
    const other = r.versions.length ? null : { __label: `no version has ${k} people on a day`, starts: null, crashes: null, crash_rate: null }
    el.replaceChildren(table([first('Version'), { label: 'Starts', get: (x) => x.starts }, { label: 'Crashes', get: (x) => x.crashes }, { label: 'Crash rate', get: (x) => x.crash_rate, unit: '%' }],
      rows, { other, total: { __label: 'all versions', ...t }, file: 'crash-rate-by-version' }))
  }

  function fingerprints(el, r) {
    const f = r.fingerprints
    if (f.total.suppressed) return el.replaceChildren(hidden(`Every day of app_crash in this range had fewer than ${k} people`))
    if (f.total.crashes === 0) return el.replaceChildren(empty('No crashes in this range.'))
    el.replaceChildren(table([first('Fingerprint'), { label: 'Type', get: (x) => x.error_type }, { label: 'People', get: (x) => x.users }, { label: 'Crashes', get: (x) => x.crashes }],
      f.rows.map((x) => ({ ...x, key: x.fingerprint || '(none)' })), { barOf: (x) => x.crashes, other: otherRow(f.other, '', 'crashes'), file: 'top-crashes' }), ...rareLine(f.rare, 'crashes'))
  }

  function feedback(el, r) {
    if (r.total.suppressed) return el.replaceChildren(hidden(`Every day of feedback in this range had fewer than ${k} people`))
    if (r.total.count === 0) return el.replaceChildren(empty('No feedback in this range.'))
    // The ratings are a fixed list: all six are rows, a rating under k reads as 0 like one never used (issue 26).
    const rows = [...r.ratings].reverse()
      .map((x) => ({ ...x, key: x.rating ? h('span', { class: 'stars', text: '★'.repeat(x.rating) + '☆'.repeat(5 - x.rating) }) : 'no rating' }))
    // Texts are kept as the words and phrases k people used (themes), never verbatim.
    const themes = r.themes.length
      ? table([first('Theme'), { label: 'People', get: (x) => x.users }, { label: 'Uses', get: (x) => x.count }], r.themes.map((x) => ({ ...x, key: x.term })), { barOf: (x) => x.count, file: 'feedback-themes' })
      : h('p', { class: 'muted', text: `No themes shown: a word or phrase appears once at least ${k} people of one salt period used it.` })
    el.replaceChildren(table([{ label: 'Rating', get: (x) => x.key, csv: (x) => x.rating || 'none' }, { label: 'People', get: (x) => x.users }, { label: 'Count', get: (x) => x.count }], rows, { barOf: (x) => x.count, file: 'feedback-ratings' }), themes, ...rareLine(r.rare, 'uses of words'))
  }

  function breakdown(el, r) {
    if (r.total.events === 0 && !r.total.suppressed) return el.replaceChildren(empty('No events in this range yet.'))
    if (r.total.suppressed) return el.replaceChildren(hidden(`Every day in this range had fewer than ${k} people`))
    el.replaceChildren(table([first(r.dimension.replace('_', ' ')), { label: 'People', get: (x) => x.users }, { label: 'Events', get: (x) => x.events }],
      r.rows.map((x) => ({ ...x, key: x.value || '(unknown)' })), { barOf: (x) => x.users, other: otherRow(r.other, '', 'events'), file: `breakdown-by-${r.dimension}` }))
  }

  window.VeilRender = { h, table, setK: (v) => { k = v }, setNote: (v) => { note = v }, hidden, kpis, activity, names, pages, sessions, imports, changes, reports, crashes, fingerprints, feedback, breakdown }
})()
