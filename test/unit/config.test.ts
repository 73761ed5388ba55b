// loadConfig: one schema over the environment, parsed once: defaults, limits with messages that
// name the variable, TRUST_PROXY as a list of addresses and CIDR ranges, empty meaning unset.
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { refusal } from '../support/config-refusal.ts'

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      PORT: 8080,
      DATA_DIR: './data',
      APPS_FILE: './apps.json',
      CLICKHOUSE_DATABASE: 'veil',
      TRUST_PROXY: [],
      IP_TRUNCATION: 'standard',
      RETENTION_MONTHS: 24,
      MAX_EVENTS_PER_BATCH: 100,
      LOG_LEVEL: 'info',
    })
    expect(c.CLICKHOUSE_URL).toBeUndefined()
    // Messages name the CLI as a checkout runs it unless the environment (the image) says otherwise.
    expect(c.VEIL_CLI).toBe('npm run veil --')
    expect(loadConfig({ VEIL_CLI: 'veil' }).VEIL_CLI).toBe('veil')
  })

  it('writes through the spool with the embedded engine and directly to a ClickHouse server, unless WRITE_MODE says', () => {
    expect(loadConfig({}).WRITE_MODE).toBe('spool')
    expect(loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123' }).WRITE_MODE).toBe('direct')
    expect(loadConfig({ WRITE_MODE: 'direct' }).WRITE_MODE).toBe('direct')
    expect(loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123', WRITE_MODE: 'spool' }).WRITE_MODE).toBe('spool')
    expect(loadConfig({ WRITE_MODE: '' }).WRITE_MODE).toBe('spool')
    expect(refusal({ WRITE_MODE: 'later' })).toMatch(/WRITE_MODE/)
  })

  it('reads numbers from their string values', () => {
    const c = loadConfig({ PORT: '9000', RETENTION_MONTHS: '25', IP_TRUNCATION: 'strict' })
    expect([c.PORT, c.RETENTION_MONTHS, c.IP_TRUNCATION]).toEqual([9000, 25, 'strict'])
  })

  it('refuses RETENTION_MONTHS above 25 with a message naming the variable and the limit', () => {
    const msg = refusal({ RETENTION_MONTHS: '26' })
    expect(msg).toMatch(/^invalid configuration:/)
    expect(msg).toMatch(/RETENTION_MONTHS: .*25/)
  })

  it('refuses a RETENTION_MONTHS of 0', () => {
    expect(refusal({ RETENTION_MONTHS: '0' })).toMatch(/RETENTION_MONTHS/)
  })

  it('reads TRUST_PROXY as addresses and CIDR ranges', () => {
    const c = loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1 ,fd00::/8,::1' })
    expect(c.TRUST_PROXY.map(([addr, bits]) => `${addr.toString()}/${bits}`)).toEqual([
      '10.0.0.0/8', '192.168.1.1/32', 'fd00::/8', '::1/128',
    ])
  })

  it.each([['10.0.0.0/33'], ['proxy.local'], ['10.0.0.0/8,nope']])('refuses the TRUST_PROXY %j, quoting the bad part', (value) => {
    const msg = refusal({ TRUST_PROXY: value })
    expect(msg).toMatch(/TRUST_PROXY: ".+" is not an IP address or CIDR range/)
  })

  it('treats an empty variable as unset', () => {
    const c = loadConfig({ PORT: '', RETENTION_MONTHS: '', TRUST_PROXY: '', CLICKHOUSE_URL: '', IP_TRUNCATION: '' })
    expect([c.PORT, c.RETENTION_MONTHS, c.TRUST_PROXY, c.CLICKHOUSE_URL, c.IP_TRUNCATION]).toEqual([8080, 24, [], undefined, 'standard'])
  })

  it('refuses a value of the wrong kind, naming the variable', () => {
    expect(refusal({ PORT: 'abc' })).toMatch(/PORT: /)
    expect(refusal({ IP_TRUNCATION: 'none' })).toMatch(/IP_TRUNCATION: .*strict/)
    expect(refusal({ CLICKHOUSE_URL: 'not a url' })).toMatch(/CLICKHOUSE_URL: /)
    expect(refusal({ CLICKHOUSE_DATABASE: 'veil; DROP' })).toMatch(/CLICKHOUSE_DATABASE: /)
  })

  it('lists every problem at once', () => {
    const msg = refusal({ PORT: 'abc', RETENTION_MONTHS: '99' })
    expect(msg).toMatch(/PORT/)
    expect(msg).toMatch(/RETENTION_MONTHS/)
  })

  it('returns a frozen configuration', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true)
  })
})
