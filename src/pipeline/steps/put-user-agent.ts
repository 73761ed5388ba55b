// put_user_agent: the User-Agent reduced to browser and OS family + major version and a device
// type (PRIVACY.md 3), then the raw string is dropped. Parsing costs ~24 us, so results are
// cached per User-Agent, keyed by a keyed digest of it, never the string (PRIVACY.md 15). Bots
// are dropped only when the request looks like a browser's (EVENTS.md "Response"): curl,
// python-requests, Go, Java, Node and desktop applications name their HTTP library, which says
// nothing about who sent it.
import { UAParser } from 'ua-parser-js'
import { isbot } from 'isbot'
import { createKeyedCache } from '../../privacy/keyed-cache.ts'
import { safeBrowser, safeOsName, safeOsVersion } from '../../../sdk/core/shapes.ts'
import type { Drop, RequestState } from '../types.ts'

export interface UserAgentFacts {
  bot: boolean
  /** The string is a browser's (every browser, and every bot that poses as one, opens with Mozilla/). */
  browserLike: boolean
  browser: string
  browser_version: string
  os: string
  os_version: string
  device_type: string
}

/** The major version as digits only: `Edg/<anything>.1` leaves nothing rather than `<anything>`. */
function major(version: string | undefined): string {
  if (!version) return ''
  return /^\d{1,4}(?:\.|$)/.test(version) ? safeOsVersion(version, 1) : ''
}

/** desktop, mobile, tablet or other (EVENTS.md "Derived"); ua-parser-js leaves desktops blank. */
function deviceType(type: string | undefined): string {
  if (!type) return 'desktop'
  if (type === 'mobile' || type === 'tablet') return type
  return 'other'
}

export function parseUserAgent(ua: string): UserAgentFacts {
  const r = new UAParser(ua).getResult()
  return {
    bot: isbot(ua),
    browserLike: /^Mozilla\//.test(ua),
    // Families from closed lists (PRIVACY.md 13): anything else is `other`.
    browser: safeBrowser(r.browser.name),
    browser_version: major(r.browser.version),
    os: r.os.name ? safeOsName(r.os.name) : '',
    os_version: major(r.os.version),
    device_type: deviceType(r.device.type),
  }
}

/**
 * A browser's request: it carries Fetch metadata (Sec-Fetch-*) or Origin, which browsers set
 * themselves on every cross-origin fetch and beacon, or a browser's User-Agent.
 */
export function looksLikeBrowser(req: RequestState, facts: UserAgentFacts | undefined): boolean {
  return req.client.browserHeaders === true || facts?.browserLike === true
}

/** The step, and `forget()`, which empties its cache (the pipeline calls it when a salt period changes). */
export function createPutUserAgentStep(cacheSize: number) {
  const cache = createKeyedCache<UserAgentFacts>('user-agents', cacheSize)
  return Object.assign(function putUserAgent(req: RequestState): RequestState | Drop {
    const ua = req.client.userAgent
    let facts: UserAgentFacts | undefined
    if (ua) {
      facts = cache.get(ua)
      if (!facts) {
        facts = parseUserAgent(ua)
        cache.set(ua, facts)
      }
      if (facts.bot && req.app.bot_filter !== 'off' && looksLikeBrowser(req, facts)) {
        return { drop: 'bot', message: 'dropped: a browser request with a bot User-Agent is not recorded' }
      }
    }
    const { bot: _bot, browserLike: _browserLike, ...coarse } = facts ?? { bot: false, browserLike: false, ...EMPTY_UA }
    // The raw string goes here; only the coarse facts travel on.
    return { ...req, client: { ...req.client, userAgent: undefined }, facts: { ...req.facts, ...coarse } }
  }, { forget: () => cache.clear() })
}

const EMPTY_UA = { browser: '', browser_version: '', os: '', os_version: '', device_type: '' }
