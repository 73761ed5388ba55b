// clientIp (PRIVACY.md 2): X-Forwarded-For is believed only from a trusted proxy, and then its
// rightmost address that is not itself a trusted proxy is the client.
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { clientIp, type Cidr } from '../../../src/http/client-ip.ts'

const cidrs = (...list: string[]): Cidr[] => list.map((c) => ipaddr.parseCIDR(c))
const TRUSTED = cidrs('10.0.0.0/8', 'fd00::/8')

describe('clientIp', () => {
  it('takes the socket peer and ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientIp('198.51.100.7', '203.0.113.9', [])).toBe('198.51.100.7')
  })

  it('takes the rightmost untrusted X-Forwarded-For hop when the peer is a trusted proxy', () => {
    expect(clientIp('10.0.0.1', '192.0.2.1, 203.0.113.9, 10.0.0.2', TRUSTED)).toBe('203.0.113.9')
  })

  it('ignores the spoofable left part of X-Forwarded-For', () => {
    // A client can send any X-Forwarded-For; the proxy appends the address it saw.
    expect(clientIp('10.0.0.1', '1.2.3.4, 203.0.113.9', TRUSTED)).toBe('203.0.113.9')
  })

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientIp('198.51.100.7', '203.0.113.9', TRUSTED)).toBe('198.51.100.7')
  })

  it('recognises a trusted proxy that connects with an IPv4-mapped IPv6 address', () => {
    expect(clientIp('::ffff:10.0.0.1', '203.0.113.9', TRUSTED)).toBe('203.0.113.9')
  })

  it('trusts IPv6 proxy ranges', () => {
    expect(clientIp('fd00::1', '2001:db8::5, fd00::2', TRUSTED)).toBe('2001:db8::5')
  })

  it('takes the peer when a trusted proxy sends no X-Forwarded-For', () => {
    expect(clientIp('10.0.0.1', null, TRUSTED)).toBe('10.0.0.1')
    expect(clientIp('10.0.0.1', '', TRUSTED)).toBe('10.0.0.1')
  })

  it('gives no address when the rightmost untrusted hop is not an address', () => {
    expect(clientIp('10.0.0.1', '203.0.113.9, unknown', TRUSTED)).toBeUndefined()
  })

  it('gives no address without a peer', () => {
    expect(clientIp(undefined, '203.0.113.9', TRUSTED)).toBeUndefined()
  })
})
