// The dashboard's own-question cards (issue 27): Explore (any declared event by a dimension or
// declared prop, filtered), Funnel (steps within a salt period) and Rejections (names the plan
// refused), their views kept in the address so a view can be linked; and the small-app sentence.
(function () {
  'use strict'
  const R = window.VeilRender
  const { timeChart, fmt } = window.VeilCharts
  const h = R.h
  const CLOSED = ['country', 'browser', 'os', 'device', 'language', 'app_version', 'deployment']
  const DIMENSION_KINDS = ['enum', 'boolean', 'number', 'integer']

  /** The view in the address: ?x_event=&x_by=&x_filter=&f_steps= (the key stays out of it). */
  const view = new URLSearchParams(location.search)
  function save() {
    const qs = view.toString()
    history.replaceState(null, '', location.pathname + (qs ? `?${qs}` : ''))
  }
  const put = (name, value) => { if (value) view.set(name, value); else view.delete(name) }

  /** The app's plan (GET /v1/plan): its events and the fields explore may use for each. */
  async function planOf(api, app) {
    const plan = await api('/v1/plan', { app })
    const events = Object.keys(plan.events).sort()
    const own = (plan.own_events ?? []).filter((e) => events.includes(e))
    const fields = (name) => [...CLOSED, ...Object.entries(plan.events[name]?.props ?? {})
      .filter(([, p]) => DIMENSION_KINDS.includes(p.kind) && p.dimension !== false).map(([key]) => `props.${key}`)]
    return { events, fields, own }
  }

  const select = (id, options, value, label) =>
    h('label', {}, label, h('select', { id }, options.map(([v, t]) => h('option', { value: v, text: t, selected: v === value }))))

  /** Explore: controls, a chart of people and events, the breakdown table with the previous period. */
  async function explore(el, ctx) {
    const plan = await ctx.plan
    // The app's own events come first: they are what the fixed cards cannot show.
    const event = plan.events.includes(view.get('x_event')) ? view.get('x_event') : (plan.own[0] ?? (plan.events.includes('page_view') ? 'page_view' : plan.events[0]))
    const fields = plan.fields(event)
    const by = fields.includes(view.get('x_by')) ? view.get('x_by') : ''
    const filter = view.get('x_filter') || ''
    const [ffield, fvalues] = filter.includes('=') ? filter.split('=') : ['', '']
    const controls = h('form', { class: 'controls' },
      select('x-event', plan.events.map((e) => [e, e]), event, 'Event '),
      select('x-by', [['', 'over time only'], ...fields.map((f) => [f, `by ${f}`])], by, 'Breakdown '),
      select('x-ffield', [['', 'no filter'], ...fields.map((f) => [f, f])], ffield, 'Filter '),
      h('label', {}, '= ', h('input', { id: 'x-fvalues', value: fvalues, placeholder: 'value, value', size: 14 })),
      h('button', { type: 'submit', text: 'Apply' }))
    const out = h('div', { class: 'explore-out' })
    el.replaceChildren(controls, out)
    controls.addEventListener('change', (e) => { if (e.target.id === 'x-event') apply(); })
    controls.addEventListener('submit', (e) => { e.preventDefault(); apply() })
    function apply() {
      const f = controls.querySelector('#x-ffield').value
      const v = controls.querySelector('#x-fvalues').value.split(',').map((s) => s.trim()).filter(Boolean).join(',')
      const next = controls.querySelector('#x-event').value
      put('x_event', next)
      put('x_by', next === event ? controls.querySelector('#x-by').value : '')
      put('x_filter', next === event && f && v ? `${f}=${v}` : '')
      save()
      explore(el, ctx)
    }
    put('x_event', event); save()
    let r
    try {
      r = await ctx.api('/v1/stats/explore', { ...ctx.base, event, by, filter })
    } catch (err) {
      return out.replaceChildren(h('p', { class: 'error', text: `Could not load: ${err.message}` }))
    }
    const said = `${event}${filter ? ` where ${filter.replace('=', ' is ')}` : ''}`
    if (r.total.events === 0 && !r.total.suppressed) return out.replaceChildren(h('div', { class: 'empty', text: `No ${said} in this range.` }))
    if (r.total.suppressed) return out.replaceChildren(R.hidden(`Every day of ${said} in this range had fewer than ${r.meta.k} people`))
    const prev = r.previous.total
    const compare = prev.suppressed ? 'suppressed then' : prev.events ? `${fmt(prev.events)} events, ${fmt(prev.users)} people in the previous ${r.points.length} days` : 'no data in the previous period'
    const chart = h('div', { class: 'chart small' })
    // A filtered total is the sum of its shown parts (filter value by breakdown value, each with k people).
    const parts = filter ? (r.meta.noise ? ' (the parts that passed the noise gate, with noise)' : ` (the parts with ${r.meta.k} people or more)`) : ''
    out.replaceChildren(h('p', { class: 'muted', text: `${said}: ${fmt(r.total.events)} events, ${fmt(r.total.users)} people${parts}; ${compare}.` }), chart)
    timeChart(chart, { k: r.meta.k, buckets: r.buckets, week: ctx.week, height: 190, suppressed: r.points.map((p) => p.suppressed), total: r.total.events, series: [
      { label: 'People', axisLabel: 'People', values: r.points.map((p) => p.users), color: '#3558d4', fill: true, summary: 'latest' },
      { label: 'Events', values: r.points.map((p) => p.events), color: '#16a394', unit: 'events', summary: 'total' },
    ] })
    if (!by) return
    const rows = r.rows.map((x) => ({ ...x, key: x.label || x.value || '(unknown)', before: x.previous.events }))
    const other = r.other ? { __label: `other (${r.other.cells} suppressed)`, events: r.other.events } : null
    out.append(rows.length
      ? R.table([{ label: by, get: (x) => x.__label ?? x.key }, { label: 'People', get: (x) => x.users }, { label: 'Events', get: (x) => x.events }, { label: 'Previous', get: (x) => x.before }],
        rows, { barOf: (x) => x.users, other, file: `explore-${event}-by-${by}` })
      : h('p', { class: 'muted', text: `No ${by} value of ${said} had ${r.meta.k} people on a day, with the rest of its day covering ${r.meta.k} too.` }))
  }

  /** Funnel: 2 to 5 step selects, then people, conversion and median time per step. */
  async function funnel(el, ctx) {
    const plan = await ctx.plan
    const saved = (view.get('f_steps') || '').split(',').filter((s) => plan.events.includes(s))
    const steps = saved.length >= 2 ? saved : plan.own.length >= 2 ? plan.own.slice(0, 3) : ['login', 'page_view'].filter((e) => plan.events.includes(e)).concat(plan.events).slice(0, 2)
    const controls = h('form', { class: 'controls' },
      steps.map((s, i) => select(`f-step${i}`, plan.events.map((e) => [e, e]), s, `${i + 1}. `)),
      steps.length < 5 ? h('button', { type: 'button', class: 'link add', text: '+ step', onclick: () => { put('f_steps', [...steps, plan.events[0]].join(',')); save(); funnel(el, ctx) } }) : null,
      steps.length > 2 ? h('button', { type: 'button', class: 'link add', text: '− step', onclick: () => { put('f_steps', steps.slice(0, -1).join(',')); save(); funnel(el, ctx) } }) : null)
    controls.addEventListener('change', () => {
      put('f_steps', steps.map((_, i) => controls.querySelector(`#f-step${i}`).value).join(',')); save(); funnel(el, ctx)
    })
    const out = h('div', {})
    el.replaceChildren(controls, out)
    let r
    try {
      r = await ctx.api('/v1/stats/funnel', { ...ctx.base, ...Object.fromEntries(steps.map((s, i) => [`step${i + 1}`, s])) })
    } catch (err) {
      return out.replaceChildren(h('p', { class: 'error', text: `Could not load: ${err.message}` }))
    }
    if (r.steps[0].people === 0 && !r.steps[0].suppressed) return out.replaceChildren(h('div', { class: 'empty', text: `Nobody did ${steps[0]} in this range.` }))
    const rows = r.steps.map((s, i) => ({ ...s, key: `${i + 1}. ${s.event}` }))
    out.replaceChildren(R.table([{ label: 'Step', get: (x) => x.key }, { label: 'People', get: (x) => x.people }, { label: 'Conversion', get: (x) => x.conversion, unit: '%' },
      { label: 'From previous', get: (x) => (x.key.startsWith('1.') ? '' : x.from_previous), unit: '%' }, { label: 'Median time', get: (x) => (x.median_ms_from_previous ?? ''), unit: 'ms' }],
    rows, { file: 'funnel' }),
    h('p', { class: 'muted', text: 'Counted within each salt period: a person is linkable only within one, so steps done in two periods are two people. A step with fewer than k people, or that lost fewer than k, is hidden with the steps after it.' }))
  }

  /** Rejections: names the plan refused, with a plan snippet to copy; the rest counted by shape. */
  function rejections(el, r) {
    if (!r.names.length && !r.unnamed.length) return el.replaceChildren(h('div', { class: 'empty', text: 'Nothing rejected or dropped by the plan in this range.' }))
    const copy = (n) => h('button', { type: 'button', class: 'link csv', text: 'copy plan snippet', title: n.snippet, onclick: (e) => { navigator.clipboard?.writeText(n.snippet); e.currentTarget.textContent = 'copied' } })
    const named = r.names.map((n) => ({ ...n, key: n.key ? `${n.event}.${n.key}` : n.event, why: n.reason === 'not_in_plan' ? 'event not in plan' : 'prop not in plan', snippetButton: copy(n) }))
    // Under noise how many names is withheld (null), and a count too small for the gate is suppressed.
    const unnamed = r.unnamed.map((u) => {
      const what = `${u.kind === 'event' ? 'events' : 'props'} under ${u.names == null ? 'names' : `${u.names} name${u.names === 1 ? '' : 's'}`} fewer than ${r.meta.k} people of one salt period sent (${u.reason.replace(/_/g, ' ')})`
      return h('p', { class: 'muted', text: u.suppressed ? `Some ${what}: suppressed, too few people to count; not named until ${r.meta.k} have.` : `${fmt(u.events)} ${what}: not named until ${r.meta.k} have.` })
    })
    el.replaceChildren(
      named.length ? R.table([{ label: 'Name', get: (x) => x.key }, { label: 'Reason', get: (x) => x.why }, { label: 'Events', get: (x) => x.events }, { label: 'Declare it', get: (x) => x.snippetButton, csv: (x) => x.snippet }], named, { file: 'rejections' }) : null,
      ...unnamed)
  }

  /**
   * The small-app state: most buckets with events have fewer than k people. Judged on the days
   * of the answer (on weeks when the reader chose them); null when the app is not small.
   */
  function smallAppOf(r, week) {
    const points = r.all.points.filter((p) => p.suppressed || p.events > 0)
    const hidden = points.filter((p) => p.suppressed).length
    return points.length > 0 && hidden * 2 > points.length ? { hidden, of: points.length, unit: week ? 'week' : 'day' } : null
  }

  /**
   * Says why a small app's figures are hidden, what an operator can change and what it costs,
   * and what the page shows instead. k is decided per salt period and day (cells.ts), so no
   * setting shows a day of fewer than k people but a lower k; a longer salt period lets what is
   * decided per period (funnels, rejected names, values) gather a week's people instead of a day's.
   * `app`: { id, k, salt_rotation_hours }; `byWeek`: the page switched to weeks for this state.
   */
  function smallApp(el, small, app, { byWeek, onDay }) {
    el.hidden = !small
    if (!small) return el.replaceChildren()
    const { id, k } = app
    const code = (t) => h('code', { text: t })
    const lowerK = Math.max(2, k - 2)
    const levers = []
    if (k > 2) {
      levers.push(h('li', {}, 'Lower k: ', code(`veil apps set ${id} k_anonymity ${lowerK}`),
        `. Groups of ${lowerK} people are then shown, a smaller crowd for each of them to hide in; days of fewer than ${lowerK} stay hidden.`))
    }
    if ((app.salt_rotation_hours ?? 24) < 168) {
      levers.push(h('li', {}, 'A weekly salt period: ', code(`veil apps set ${id} salt_rotation_hours 168`),
        `. Funnels, rejected names and prop values then need ${k} people in a week instead of a day, and People counts a person once a week. It costs: one person's events of a whole week are linkable to each other until that week's salt is deleted, instead of one day's. It shows no day of fewer than ${k} people: days are still decided one by one.`))
    }
    el.replaceChildren(
      h('strong', { text: `Most figures are hidden because ${small.hidden} of ${small.of} ${small.unit}s with events had fewer than ${k} people each (k = ${k}, decided per salt period and day, so a smaller group is never shown or added into any total).` }),
      levers.length ? h('ul', {}, h('li', { class: 'lead', text: 'What an operator can change:' }), ...levers) : h('div', { text: 'k is already at its lowest (2) and the salt period a week: only more people per day show more.' }),
      byWeek
        ? h('div', { class: 'byweek' }, 'Shown by week for that reason: a week shows the sum of its days that reached k, so a week with one such day is no longer a gap; days under k stay out of every figure. ',
          h('button', { type: 'button', class: 'link', id: 'smallapp-day', text: 'Show by day', onclick: onDay }))
        : null)
  }

  window.VeilExplore = { explore, funnel, rejections, smallApp, smallAppOf, planOf }
})()
