// Builders of pipeline values for the unit tests, so each test states only what it varies.
import { EMPTY_FACTS } from '../../../src/pipeline/index.ts'
import type { AppConfig } from '../../../src/apps/apps.ts'
import type { SaltedKeys } from '../../../src/pipeline/steps/hash-ids.ts'
import type { BatchFacts, ClientFacts, HashedEvent, ParsedEvent, RequestState } from '../../../src/pipeline/types.ts'

export const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'

export function app(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    id: 'app-a',
    write_keys: ['wk_testtesttest'],
    read_keys: [],
    salt_rotation_hours: 24,
    honor_gpc: true,
    k_anonymity: 5,
    ...overrides,
  }
}

export const NO_FACTS: ClientFacts = { ...EMPTY_FACTS }

export function requestState(overrides: Partial<RequestState> = {}): RequestState {
  return {
    app: app(),
    gpc: false,
    client: { ip: '81.2.69.160', userAgent: CHROME_WINDOWS },
    facts: { ...NO_FACTS },
    ...overrides,
  }
}

export function parsedEvent(overrides: Partial<ParsedEvent> = {}): ParsedEvent {
  return {
    id: '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11',
    name: 'login',
    ts: 1_763_798_399_000,
    props: {},
    ...overrides,
  }
}

export function hashedEvent(overrides: Partial<HashedEvent> = {}): HashedEvent {
  return {
    id: '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11',
    name: 'login',
    ts: 1_763_798_399_000,
    user_hash: 'aaaaaaaaaaaaaaaa',
    user_kind: 'user',
    session_hash: 'bbbbbbbbbbbbbbbb',
    org_hash: '',
    salt_period: 20_415,
    props: {},
    ...overrides,
  }
}

export function saltedKeys(overrides: Partial<SaltedKeys> = {}): SaltedKeys {
  return {
    appId: 'app-a',
    period: 20_415,
    generation: 1,
    salt: Buffer.alloc(32, 1),
    orgKey: Buffer.alloc(32, 9),
    ...overrides,
  }
}

export function batchFacts(overrides: Partial<BatchFacts> = {}): BatchFacts {
  return { lang: 'de-DE', screen_w: 1920, screen_h: 1080, app_version: '4.2.1', deployment: 'cloud', ...overrides }
}
