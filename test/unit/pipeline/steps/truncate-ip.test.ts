// truncate_ip (PRIVACY.md 2): IPv4 to /24 and IPv6 to /48, strict /16 and /32, IPv4-mapped
// IPv6 as IPv4, non-addresses to nothing; the step keeps only the prefix.
import { describe, expect, it } from 'vitest'
import { createTruncateIpStep, truncateAddress, truncateParsed } from '../../../../src/pipeline/steps/truncate-ip.ts'
import { requestState } from '../fixtures.ts'

describe('truncateAddress', () => {
  it('keeps the /24 of an IPv4 address in standard mode', () => {
    expect(truncateAddress('203.0.113.77', 'standard')).toBe('203.0.113.0')
  })

  it('keeps the /16 of an IPv4 address in strict mode', () => {
    expect(truncateAddress('203.0.113.77', 'strict')).toBe('203.0.0.0')
  })

  it('keeps the /48 of an IPv6 address in standard mode', () => {
    expect(truncateAddress('2001:db8:abcd:1234:5678:9abc:def0:1', 'standard')).toBe('2001:db8:abcd::')
  })

  it('keeps the /32 of an IPv6 address in strict mode', () => {
    expect(truncateAddress('2001:db8:abcd:1234::1', 'strict')).toBe('2001:db8::')
  })

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(truncateAddress('::ffff:203.0.113.77', 'standard')).toBe('203.0.113.0')
    expect(truncateAddress('::ffff:203.0.113.77', 'strict')).toBe('203.0.0.0')
  })

  it.each([['not-an-ip'], [''], ['300.1.1.1'], ['203.0.113.77%eth0'], ['1.2.3.4.5'], ['1'], ['0x7f.1'], ['127.1']])(
    'returns undefined for %j, which is not an address',
    (input) => {
      expect(truncateAddress(input, 'standard')).toBeUndefined()
    },
  )
})

describe('truncateAddress of a dotted quad', () => {
  it('gives what ipaddr.js gives, for every byte value and odd spellings', () => {
    const inputs = ['0.0.0.0', '255.255.255.255', '256.1.1.1', '1.256.1.1', '1.1.1.256', '01.2.3.4', '1.2.3.04', '1.2.3.999', '1.2.3.1000', ' 1.2.3.4', '1.2.3.4 ', '1.2.3', '1..3.4', '-1.2.3.4', '1.2.3.4\n']
    for (let i = 0; i < 256; i++) inputs.push(`${i}.${255 - i}.${(i * 7) % 256}.${(i * 13) % 256}`, `10.${i}.0.${i}`)
    for (const mode of ['standard', 'strict'] as const) {
      for (const ip of inputs) expect(truncateAddress(ip, mode), `${ip} ${mode}`).toBe(truncateParsed(ip, mode))
    }
  })
})

describe('truncate_ip step', () => {
  it('replaces the full address by its prefix', () => {
    const out = createTruncateIpStep('standard')(requestState({ client: { ip: '81.2.69.160', userAgent: 'x' } }))
    expect(out.ipPrefix).toBe('81.2.69.0')
    expect(out.client.ip).toBeUndefined()
    expect(out.client.userAgent).toBe('x')
    expect(JSON.stringify(out)).not.toContain('81.2.69.160')
  })

  it('uses the strict prefix lengths in strict mode', () => {
    const out = createTruncateIpStep('strict')(requestState({ client: { ip: '2a00:1450:4001:81b::200e' } }))
    expect(out.ipPrefix).toBe('2a00:1450::')
  })

  it('leaves no prefix and no address when the address is garbage or missing', () => {
    const step = createTruncateIpStep('standard')
    for (const ip of ['garbage', undefined]) {
      const out = step(requestState({ client: { ip } }))
      expect(out.ipPrefix).toBeUndefined()
      expect(out.client.ip).toBeUndefined()
    }
  })

  it('does not change the state it was given', () => {
    const before = requestState()
    createTruncateIpStep('standard')(before)
    expect(before.client.ip).toBe('81.2.69.160')
  })
})
