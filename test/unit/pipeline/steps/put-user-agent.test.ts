// put_user_agent (PRIVACY.md 3): the User-Agent becomes browser and OS family + major version
// and a device type; bots are dropped when the request looks like a browser's and the app filters
// them; server-side clients never are; the raw string never travels on.
import { describe, expect, it } from 'vitest'
import { createPutUserAgentStep, parseUserAgent } from '../../../../src/pipeline/steps/put-user-agent.ts'
import { isDrop, type RequestState } from '../../../../src/pipeline/types.ts'
import { CHROME_WINDOWS, app, requestState } from '../fixtures.ts'

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1'
const ANDROID_TABLET =
  'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const ANDROID_PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36'
const SMART_TV =
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36'
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

describe('parseUserAgent', () => {
  it('reads Chrome on Windows as a desktop with major versions only', () => {
    expect(parseUserAgent(CHROME_WINDOWS)).toEqual({
      bot: false, browserLike: true, browser: 'Chrome', browser_version: '120', os: 'Windows', os_version: '10', device_type: 'desktop',
    })
  })

  it('reads Firefox on Linux as a desktop', () => {
    const f = parseUserAgent(FIREFOX_LINUX)
    expect([f.browser, f.browser_version, f.device_type, f.bot]).toEqual(['Firefox', '121', 'desktop', false])
  })

  it('reads Safari on an iPhone as a mobile', () => {
    const f = parseUserAgent(SAFARI_IPHONE)
    expect([f.browser, f.browser_version, f.os, f.os_version, f.device_type]).toEqual(['Mobile Safari', '17', 'iOS', '17', 'mobile'])
  })

  it('reads an Android tablet as a tablet and an Android phone as a mobile', () => {
    expect(parseUserAgent(ANDROID_TABLET).device_type).toBe('tablet')
    const phone = parseUserAgent(ANDROID_PHONE)
    expect([phone.os, phone.os_version, phone.device_type]).toEqual(['Android', '14', 'mobile'])
  })

  it('reads a smart TV as other', () => {
    expect(parseUserAgent(SMART_TV).device_type).toBe('other')
  })

  it('keeps no minor or patch version', () => {
    const f = parseUserAgent(ANDROID_PHONE)
    expect(f.browser_version).not.toContain('.')
    expect(JSON.stringify(f)).not.toContain('6099')
  })

  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/jroe.1', 'Edge'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/anna77.0', 'Firefox'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/x1.0.0.0 Safari/537.36', 'Chrome'],
  ])('stores no browser version that is not digits: %s', (ua, browser) => {
    const f = parseUserAgent(ua)
    expect(f).toMatchObject({ browser, browser_version: '' })
  })

  it('stores families outside the closed lists as other', () => {
    expect(parseUserAgent("JaneRoeBrowser/3.1 (Jane Roe's Laptop; Windows NT 10.0)").browser).toMatch(/^(other|)$/)
    expect(parseUserAgent('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0').browser).toBe('Opera')
    expect(parseUserAgent('Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)').os).toMatch(/^(other|)$/)
  })

  it.each([[GOOGLEBOT], ['curl/8.4.0'], ['python-requests/2.31.0'], ['Wget/1.21']])('marks %s as a bot', (ua) => {
    expect(parseUserAgent(ua).bot).toBe(true)
  })
})

describe('put_user_agent step', () => {
  const withUa = (userAgent: string | undefined): RequestState => requestState({ client: { userAgent } })

  it('puts the coarse facts into the state and removes the raw User-Agent', () => {
    const out = createPutUserAgentStep(10)(withUa(CHROME_WINDOWS))
    if (isDrop(out)) throw new Error('unexpected drop')
    expect(out.client.userAgent).toBeUndefined()
    expect(out.facts).toMatchObject({ browser: 'Chrome', browser_version: '120', os: 'Windows', device_type: 'desktop' })
    expect(JSON.stringify(out)).not.toContain('AppleWebKit')
    expect('bot' in out.facts).toBe(false)
  })

  it('drops a request whose UA is Googlebot, with reason bot', () => {
    const out = createPutUserAgentStep(10)(withUa(GOOGLEBOT))
    expect(isDrop(out) && out.drop).toBe('bot')
  })

  it.each([
    ['curl/8.4.0'],
    ['python-requests/2.31.0'],
    ['Go-http-client/1.1'],
    ['Java/17.0.9'],
    ['okhttp/4.12.0'],
    ['node'],
    ['AcmeDesktop/4.2.0 (Windows NT 10.0; x64)'],
  ])('keeps a server-side or desktop request from %s (its HTTP library is no bot signal)', (ua) => {
    const out = createPutUserAgentStep(10)(withUa(ua))
    expect(isDrop(out)).toBe(false)
  })

  it('drops a bot User-Agent when the request carries browser headers (Sec-Fetch-*, Origin)', () => {
    const out = createPutUserAgentStep(10)(requestState({ client: { userAgent: 'curl/8.4.0', browserHeaders: true } }))
    expect(isDrop(out) && out.drop).toBe('bot')
  })

  it('keeps a browser bot when the app switched bot filtering off', () => {
    const out = createPutUserAgentStep(10)(requestState({ app: app({ bot_filter: 'off' }), client: { userAgent: GOOGLEBOT, browserHeaders: true } }))
    expect(isDrop(out)).toBe(false)
  })

  it('keeps a request without a User-Agent (the on-prem SDK has none) with empty facts', () => {
    const out = createPutUserAgentStep(10)(withUa(undefined))
    if (isDrop(out)) throw new Error('unexpected drop')
    expect(out.facts).toMatchObject({ browser: '', os: '', device_type: '' })
  })

  it('answers a repeated User-Agent from its cache with the same result', () => {
    const step = createPutUserAgentStep(10)
    const a = step(withUa(SAFARI_IPHONE))
    const b = step(withUa(SAFARI_IPHONE))
    expect(b).toEqual(a)
    // A cache of size 0 is still a working step (clamped to 1).
    const uncached = createPutUserAgentStep(0)
    expect(uncached(withUa(FIREFOX_LINUX))).toEqual(uncached(withUa(FIREFOX_LINUX)))
  })

  it('keys its cache by the User-Agent, so a small cache never answers for another string', () => {
    const step = createPutUserAgentStep(1)
    const browsers = [SAFARI_IPHONE, CHROME_WINDOWS, SAFARI_IPHONE, FIREFOX_LINUX].map((ua) => {
      const out = step(withUa(ua))
      return isDrop(out) ? 'drop' : out.facts.browser
    })
    expect(browsers).toEqual(['Mobile Safari', 'Chrome', 'Mobile Safari', 'Firefox'])
  })

  it('still drops a cached bot the second time', () => {
    const step = createPutUserAgentStep(10)
    step(withUa(GOOGLEBOT))
    const again = step(withUa(GOOGLEBOT))
    expect(isDrop(again) && again.drop).toBe('bot')
  })
})

describe('User-Agent cache (PRIVACY.md 15)', () => {
  it('keeps no raw User-Agent and is emptied by forget()', async () => {
    const { inspectCaches } = await import('../../../../src/privacy/keyed-cache.ts')
    const step = createPutUserAgentStep(10)
    step(requestState({ client: { userAgent: FIREFOX_LINUX } }))
    // The newest user-agents cache is this step's (caches are registered as they are made).
    const mine = () => inspectCaches().filter((c) => c.name === 'user-agents').at(-1)!
    expect(mine().keys).toHaveLength(1)
    expect(JSON.stringify(mine())).not.toContain('Firefox/')
    step.forget()
    expect(mine().keys).toEqual([])
  })
})

