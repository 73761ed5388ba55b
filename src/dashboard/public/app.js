// The Veil dashboard's state and data flow: read key, filters (app, range, interval, event,
// breakdown), one request per report in parallel, stale answers dropped, errors shown in place.
(function () {
  'use strict'
  const R = window.VeilRender
  const X = window.VeilExplore
  const $ = (id) => document.getElementById(id)
  const DAY = 86400000
  const KEY = 'veil.readKey'
  const state = { key: '', app: '', preset: '30', from: '', to: '', interval: 'day', event: '', dimension: 'country' }
  // The small-app state (explore.js smallApp): judged on days; the page then shows weeks unless
  // the reader chose an interval (intervalChosen), and says so (autoWeek).
  const small = { judged: null, autoWeek: false, intervalChosen: false }
  let apps = []
  let generation = 0

  class AuthError extends Error {}

  async function api(path, params = {}) {
    const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null))
    const res = await fetch(`${path}?${qs}`, { headers: { Authorization: `Bearer ${state.key}` } })
    const body = await res.json().catch(() => ({}))
    if (res.status === 401) throw new AuthError(body.error || 'the key was not accepted')
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
    return body
  }

  const iso = (t) => new Date(t).toISOString().slice(0, 10)
  function range() {
    if (state.preset === 'custom') return { from: state.from, to: state.to }
    const to = Date.parse(iso(Date.now()))
    return { from: iso(to - (Number(state.preset) - 1) * DAY), to: iso(to) }
  }

  function showGate(message) {
    $('board').hidden = true; $('filters').hidden = true; $('gate').hidden = false
    $('keyerror').hidden = !message; $('keyerror').textContent = message || ''
    $('key').focus()
  }

  async function open(key) {
    state.key = key
    try {
      apps = (await api('/v1/stats/apps')).apps
      sessionStorage.setItem(KEY, key)
      const sel = $('f-app')
      sel.replaceChildren(...apps.map((a) => R.h('option', { value: a.id, text: a.name })))
      state.app = apps.some((a) => a.id === state.app) ? state.app : apps[0].id
      sel.value = state.app
      $('gate').hidden = true; $('filters').hidden = false; $('board').hidden = false
      load()
    } catch (err) {
      sessionStorage.removeItem(KEY)
      showGate(err instanceof AuthError ? `That key did not work: ${err.message}.` : `Cannot reach the reports API: ${err.message}`)
    }
  }

  const target = (id) => { const c = $(`c-${id}`); return c.querySelector(':scope > .chart') || c.querySelector(':scope > .body') }

  /** Runs one card's request and renders it, unless a newer load has started meanwhile. */
  function card(id, promise, render, gen) {
    const el = $(`c-${id}`)
    el.classList.add('loading')
    return promise.then((data) => {
      if (gen !== generation) return data
      render(target(id), data)
      return data
    }, (err) => {
      if (gen !== generation) return null
      if (err instanceof AuthError) return showGate(`The key stopped working: ${err.message}.`)
      target(id).replaceChildren(R.h('p', { class: 'error', text: `Could not load: ${err.message}` }))
      return null
    }).finally(() => { if (gen === generation) el.classList.remove('loading') })
  }

  /** The period just before a range, of the same length in days, for the headline comparison. */
  function previous({ from, to }) {
    const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY) + 1
    const end = Date.parse(from) - DAY
    return { from: iso(end - (days - 1) * DAY), to: iso(end), days }
  }

  /** Says on every card that follows the event filter what it now shows. */
  function scopes() {
    for (const el of document.querySelectorAll('.scope[data-follows]')) {
      el.textContent = state.event ? `filtered: event ${state.event}` : 'all events · follows the Event filter'
      el.title = state.event ? `Shows only ${state.event}; choose "All events" in the Event filter to undo` : 'Changes with the Event filter'
      el.classList.toggle('active', Boolean(state.event))
    }
  }

  async function load() {
    const gen = ++generation
    const { from, to } = range()
    const base = { app: state.app, from, to, interval: state.interval }
    const week = state.interval === 'week'
    $('boarderror').hidden = true
    scopes()
    const events = card('activity', api('/v1/stats/events', { ...base, event: state.event }), (el, r) => {
      R.setK(r.meta.k)
      if (!small.autoWeek) small.judged = X.smallAppOf(r, week)
      // A small app judged on days is shown by week, unless the reader chose the interval.
      if (small.judged && !week && !small.intervalChosen) return byWeek()
      X.smallApp($('smallapp'), small.judged, { id: state.app, ...apps.find((a) => a.id === state.app), k: r.meta.k }, { byWeek: week && small.autoWeek, onDay: () => chooseInterval('day') })
      R.setNote(r.meta.notes.suppression)
      privacy(r.meta)
      R.activity(el, r, state.event, week)
      R.names(target('names'), r, pickEvent)
      eventOptions(r.names)
    }, gen)
    const sessions = card('sessions', api('/v1/stats/sessions', base), (el, r) => R.sessions(el, r, week), gen)
    const imports = card('imports', api('/v1/stats/imports', base), (el, r) => R.imports(el, r, week), gen)
    const queries = card('reports', api('/v1/stats/report-queries', base), R.reports, gen)
    const crashes = card('crashes', api('/v1/stats/crashes', base), (el, r) => { R.crashes(el, r); R.fingerprints(target('fingerprints'), r) }, gen)
    const pages = card('pages', api('/v1/stats/pages', base), R.pages, gen)
    const changes = card('changes', api('/v1/stats/changes', base), (el, r) => R.changes(el, r, week), gen)
    const feedback = card('feedback', api('/v1/stats/feedback', base), R.feedback, gen)
    // The own-question cards (explore.js) read the app's plan for their choices.
    const own = { api, base, week, plan: X.planOf(api, state.app) }
    const declaresOwn = own.plan.then((p) => p.own.length > 0, () => false)
    card('explore', X.explore(target('explore'), own), () => {}, gen)
    card('funnel', X.funnel(target('funnel'), own), () => {}, gen)
    card('rejections', api('/v1/stats/rejections', base), X.rejections, gen)
    followPlan(declaresOwn, [sessions, imports, queries, crashes, pages, changes, feedback], gen)
    loadBreakdown(gen)
    // The previous period, same length and just before, from the same API: headline cards only.
    const prev = previous({ from, to })
    const pbase = { app: state.app, from: prev.from, to: prev.to, interval: state.interval }
    const before = Promise.all(['events', 'sessions', 'crashes', 'imports', 'report-queries'].map((r) => api(`/v1/stats/${r}`, pbase)))
      .then(([events, sessions, crashes, imports, queries]) => ({ events, sessions, crashes, imports, queries }), () => null)
    const [e, s, c, i, q] = await Promise.all([events, sessions, crashes, imports, queries])
    if (gen !== generation) return
    if (!(e && s && c && i && q)) return
    const cur = { events: e, sessions: s, crashes: c, imports: i, queries: q }
    const follows = await declaresOwn
    if (gen !== generation) return
    R.kpis($('kpis'), cur, null, prev.days, follows)
    sayHidden()
    const p = await before
    if (gen !== generation) return
    if (p) R.kpis($('kpis'), cur, p, prev.days, follows)
    else R.kpis($('kpis'), cur, { failed: true }, prev.days, follows)
  }

  /**
   * Cards follow the app's plan: an app that declares its own events sees the catalog's product
   * cards (pages, sessions, imports, report queries, rules and labels, crashes, feedback) only
   * when they have data in the range, suppressed or not; an app without its own events sees them all.
   */
  const PRODUCT_CARDS = ['pages', 'sessions', 'imports', 'reports', 'changes', 'crashes', 'fingerprints', 'feedback']
  async function followPlan(declaresOwn, loads, gen) {
    const own = await declaresOwn
    await Promise.allSettled(loads)
    if (gen !== generation) return
    for (const id of PRODUCT_CARDS) {
      const el = $(`c-${id}`)
      el.hidden = own && el.querySelector('.empty:not(.suppressed)') !== null
    }
    sayHidden()
  }

  /** Says which catalog cards the plan rule hid, so a missing card is never a mystery. */
  function sayHidden() {
    const cards = [...document.querySelectorAll('.kpi[hidden] .label'), ...PRODUCT_CARDS.filter((id) => $(`c-${id}`).hidden).map((id) => $(`c-${id}`).querySelector('h2'))]
      .map((l) => l.textContent)
    $('planned').hidden = cards.length === 0
    $('planned').textContent = cards.length ? `Not shown, as this app declares its own events and sent none of these catalog events in the range: ${cards.join(', ')}.` : ''
  }

  function byWeek() {
    small.autoWeek = true
    state.interval = $('f-interval').value = 'week'
    load()
  }

  function chooseInterval(interval) {
    small.intervalChosen = true
    small.autoWeek = false
    state.interval = $('f-interval').value = interval
    load()
  }

  /** Another app or range is judged again, on days, unless the reader chose the interval. */
  function judgeAgain() {
    small.judged = null
    if (small.autoWeek) state.interval = $('f-interval').value = 'day'
    small.autoWeek = false
  }

  function loadBreakdown(gen = generation) {
    const { from, to } = range()
    return card('breakdown', api('/v1/stats/breakdown', { app: state.app, from, to, dimension: state.dimension, event: state.event }), R.breakdown, gen)
  }

  function privacy(meta) {
    $('privacy').replaceChildren(
      R.h('span', { class: 'legend-sup' }),
      `People are users, visitors and installations, each counted once per salt period (a day by default). Per salt period and day, groups of fewer than ${meta.k} people are suppressed and left out of every total, and so is any cell that would let one be worked out; click "suppressed" for why. ${meta.from} to ${meta.to}, UTC.`,
    )
    $('notes').replaceChildren(...Object.values(meta.notes).map((n) => R.h('div', { text: n })))
  }

  function eventOptions(names) {
    const sel = $('f-event')
    const current = state.event
    sel.replaceChildren(R.h('option', { value: '', text: 'All events' }), ...names.map((n) => R.h('option', { value: n.name, text: n.name })))
    if (current && !names.some((n) => n.name === current)) sel.append(R.h('option', { value: current, text: current }))
    sel.value = current
  }

  function pickEvent(name) {
    state.event = name
    $('f-event').value = name
    load()
  }

  function bind() {
    $('keyform').addEventListener('submit', (e) => { e.preventDefault(); open($('key').value.trim()) })
    $('signout').addEventListener('click', () => { sessionStorage.removeItem(KEY); state.key = ''; showGate('') })
    $('f-app').addEventListener('change', (e) => { state.app = e.target.value; state.event = ''; judgeAgain(); load() })
    $('f-preset').addEventListener('change', (e) => {
      state.preset = e.target.value
      judgeAgain()
      const custom = state.preset === 'custom'
      for (const el of document.querySelectorAll('.custom')) el.hidden = !custom
      if (custom) { const r = { from: iso(Date.now() - 29 * DAY), to: iso(Date.now()) }; $('f-from').value = state.from = r.from; $('f-to').value = state.to = r.to }
      load()
    })
    for (const id of ['f-from', 'f-to']) $(id).addEventListener('change', () => { state.from = $('f-from').value; state.to = $('f-to').value; if (state.from && state.to) { judgeAgain(); load() } })
    $('f-interval').addEventListener('change', (e) => chooseInterval(e.target.value))
    $('f-event').addEventListener('change', (e) => { state.event = e.target.value; load() })
    $('f-dimension').addEventListener('change', (e) => { state.dimension = e.target.value; loadBreakdown() })
  }

  bind()
  // A key in the fragment (#key=rk_...) never reaches a server; it is moved to this tab's
  // storage. Read at start and whenever the fragment changes in an open tab.
  function keyFromHash() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('key')
    if (fromHash) history.replaceState(null, '', location.pathname + location.search)
    return fromHash
  }
  window.addEventListener('hashchange', () => { const k = keyFromHash(); if (k) open(k) })
  const key = keyFromHash() || sessionStorage.getItem(KEY)
  if (key) open(key)
  else showGate('')
})()
