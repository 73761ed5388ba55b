// The machine's names in identifiers and paths (PRIVACY.md 16): event names and prop keys keep
// their wire shape with the name replaced by a word; path segments holding a name become :id;
// ordinary words that merely contain a short name are left alone.
import { describe, expect, it } from 'vitest'
import { createNameScrubber, createPathScrubber, localNames } from '../../sdk/node/local-names.ts'
import { LIMITS } from '../../sdk/core/catalog.ts'

const names = { user: 'Jane.Roe', host: 'PLANT-WS-17.corp.example', home: 'C:\\Users\\jane.roe' }

describe('createNameScrubber', () => {
  const scrub = createNameScrubber(names)

  it.each([
    ['export.jane_roe.done', 'export.user.done'],
    ['export.janeroe', 'export.user'],
    ['jane.roe.clicked', 'user.clicked'],
    ['report.plant_ws_17.viewed', 'report.host.viewed'],
    ['plantws17_count', 'host_count'],
  ])('turns %s into %s', (name, out) => {
    expect(scrub(name)).toBe(out)
    expect(LIMITS.customNamePattern.test(scrub(name))).toBe(true)
  })

  it('leaves words that only contain a name alone', () => {
    expect(createNameScrubber({ user: 'al' })('alarms.al_count.total')).toBe('alarms.user_count.total')
    expect(scrub('report_query')).toBe('report_query')
  })
})

describe('createPathScrubber', () => {
  const scrub = createPathScrubber(names)

  it.each([
    ['/users/jane.roe/settings', '/users/:id/settings'],
    ['/users/Jane%20Roe/settings', '/users/:id/settings'],
    ['/hosts/PLANT-WS-17/status', '/hosts/:id/status'],
    ['/C:/Users/jane.roe/docs', '/C:/Users/:id/docs'],
    ['/reports/monthly', '/reports/monthly'],
  ])('turns %s into %s', (path, out) => {
    expect(scrub(path)).toBe(out)
  })

  it('replaces the home directory at the start of a path', () => {
    expect(createPathScrubber({ home: '/home/jdoe' })('/home/jdoe/projects/a')).toBe('/:id/projects/a')
    expect(createPathScrubber({ home: '/home/jdoe' })('/home/jdoex')).toBe('/home/jdoex')
  })
})

describe('localNames', () => {
  it('reads this machine, leaving out account names every machine has', () => {
    const n = localNames()
    for (const v of [n.user, n.host]) if (v) expect(['root', 'admin', 'localhost', 'node']).not.toContain(v.toLowerCase())
  })
})
