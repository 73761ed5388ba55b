// sdk/core/shapes.ts (PRIVACY.md 13): names, keys and tokens that could carry a person are
// refused; context values come from ISO lists, closed sets and buckets.
import { describe, expect, it } from 'vitest'
import {
  isIdentifierKey, isSafeKey, isSafeName, safeAppVersion, safeBrowser, safeDeployment, safeLang, safeOsName, safeOsVersion,
  screenBucket, unsafeToken,
} from '../../sdk/core/shapes.ts'
import { CATALOG } from '../../sdk/core/catalog.ts'

describe('names and keys', () => {
  it.each([
    'user.jane_roe_example_com', 'signup.kmueller_gmx_de', 'user.max_at_firma_dot_de', 'order.1234', 'call.0_171_234_56_7',
    'x.jroe_gmail', 'lead.p_nowak_wp_pl', 'a.b_example_org',
  ])('refuses the name %s', (name) => expect(isSafeName(name)).toBe(false))

  it.each(['app_start', 'export.csv_download', 'report_export', 'settings.saved', 'my_app.opened', 'rule_add', 'v2.upgrade_done'])(
    'accepts the name %s', (name) => expect(isSafeName(name)).toBe(true),
  )

  it('accepts every catalog name and key', () => {
    for (const [name, props] of Object.entries(CATALOG)) {
      expect(isSafeName(name), name).toBe(true)
      for (const key of Object.keys(props)) expect(isSafeKey(key), key).toBe(true)
    }
  })

  it.each(['username', 'user_name', 'full_name', 'customer_uuid', 'email', 'e_mail', 'phone_number', 'first_name', 'last_name', 'surname', 'customer_id', 'ip_address', 'street', 'login', 'displayname', 'owner', 'user', 'customer', 'created_by', 'assigned_to'])(
    'takes %s for an identifier key', (key) => expect(isIdentifierKey(key)).toBe(true),
  )

  it.each(['method', 'status', 'report', 'duration_ms', 'rule_type', 'theme', 'file_format', 'rows', 'fatal', 'error_type', 'fingerprint', 'topic', 'user_count', 'customer_type', 'account_tier'])(
    'does not take %s for an identifier key', (key) => expect(isIdentifierKey(key)).toBe(false),
  )
})

describe('token values', () => {
  it.each(['jane.roe', 'jane@example.com', 'a1b2c3d4e5', 'dead0beef9cafe', '0171-2345678', 'order-48213', 'Jane Roe', 'x'.repeat(65), 'anna_at_web_dot_de'])(
    'refuses %j', (v) => expect(unsafeToken(v)).toBeDefined(),
  )
  it.each(['sso', 'monthly_alarms', 'TypeError', '4.2.1', 'fp-a', 'threshold', 'utf8', 'sha256'])('accepts %j', (v) => expect(unsafeToken(v)).toBeUndefined())
})

describe('context', () => {
  it('keeps ISO languages and regions only', () => {
    expect(safeLang('de-DE')).toBe('de-DE')
    expect(safeLang('pt_br')).toBe('pt-BR')
    expect(safeLang('de-DE-x-hroth')).toBe('de-DE')
    expect(safeLang('zh-Hans-CN')).toBe('zh')
    expect(safeLang('en-XY')).toBe('en')
    expect(safeLang('jroe')).toBe('')
    expect(safeLang('xx-DE')).toBe('')
  })

  it('keeps app versions as digits and dots only', () => {
    expect(safeAppVersion('4.2.1+jane.roe')).toBe('4.2.1')
    expect(safeAppVersion('v7.0.0-rc.1')).toBe('7.0.0')
    expect(safeAppVersion('2024.11.3')).toBe('2024.11.3')
    expect(safeAppVersion('jane-1.2')).toBe('')
    expect(safeAppVersion('1234567.1')).toBe('')
  })

  it('keeps OS versions as digits, major or major.minor', () => {
    expect(safeOsVersion('16.4.1')).toBe('16.4')
    expect(safeOsVersion('10.0.22631-jroe', 1)).toBe('10')
    expect(safeOsVersion('jroe.1')).toBe('')
  })

  it('maps deployments, OS and browser families onto closed lists', () => {
    expect([safeDeployment('On-Prem'), safeDeployment('cloud'), safeDeployment('janes-laptop')]).toEqual(['onprem', 'cloud', ''])
    expect([safeOsName('macOS'), safeOsName('win32'), safeOsName("Jane Roe's MacBook"), safeOsName('')]).toEqual(['Mac OS', 'Windows', 'other', ''])
    expect([safeBrowser('Edge'), safeBrowser('JaneRoeBrowser'), safeBrowser(undefined)]).toEqual(['Edge', 'other', ''])
  })

  it('puts screen sizes into coarse buckets', () => {
    expect(screenBucket(1917, 1043)).toEqual({ w: 1600, h: 1024 })
    expect(screenBucket(1920, 1080)).toEqual({ w: 1920, h: 1080 })
    expect(screenBucket(390, 844)).toEqual({ w: 390, h: 844 })
    expect(screenBucket(100, 100)).toEqual({ w: 0, h: 0 })
    expect(screenBucket(9999, 9999)).toEqual({ w: 3840, h: 2160 })
  })
})
