// put_user_agent: the User-Agent reduced to browser and OS family + major version and a device
// type (PRIVACY.md 3), then the raw string is dropped. Parsing costs ~24 us, so results are
// cached per User-Agent, keyed by a keyed digest of it, never the string (PRIVACY.md 15).
import { UAParser } from 'ua-parser-js'
import { isbot } from 'isbot'
import { createKeyedCache } from '../../privacy/keyed-cache.ts'
import type { Drop, RequestState } from '../types.ts'

export interface UserAgentFacts {
  bot: boolean
  browser: string
  browser_version: string
  os: string
  os_version: string
  device_type: string
}

function major(version: string | undefined): string {
  if (!version) return ''
  return version.split('.')[0] ?? ''
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
    browser: r.browser.name ?? '',
    browser_version: major(r.browser.version),
    os: r.os.name ?? '',
    os_version: major(r.os.version),
    device_type: deviceType(r.device.type),
  }
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
      if (facts.bot) return { drop: 'bot', message: 'dropped: requests from bots are not recorded' }
    }
    const { bot: _bot, ...coarse } = facts ?? { bot: false, ...EMPTY_UA }
    // The raw string goes here; only the coarse facts travel on.
    return { ...req, client: { ...req.client, userAgent: undefined }, facts: { ...req.facts, ...coarse } }
  }, { forget: () => cache.clear() })
}

const EMPTY_UA = { browser: '', browser_version: '', os: '', os_version: '', device_type: '' }
