// Proxy selection of the Node SDK from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
import { describe, expect, it } from 'vitest'
import { bypassesProxy, proxyFor } from '../../sdk/node/proxy.ts'

const u = (s: string) => new URL(s)

describe('proxyFor', () => {
  it('uses HTTPS_PROXY for https endpoints and HTTP_PROXY for http ones, in either case', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'proxy2:8080' }
    expect(proxyFor(u('https://veil.example.com'), env)?.href).toBe('http://proxy:3128/')
    expect(proxyFor(u('http://veil.example.com'), env)?.href).toBe('http://proxy2:8080/')
  })

  it('connects directly without a proxy variable', () => {
    expect(proxyFor(u('https://veil.example.com'), {})).toBeUndefined()
  })

  it('connects directly to hosts NO_PROXY names', () => {
    expect(proxyFor(u('https://veil.corp.local'), { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'localhost, .corp.local' })).toBeUndefined()
  })
})

describe('bypassesProxy', () => {
  it('matches exact hosts, domain suffixes with or without a dot, and *', () => {
    expect(bypassesProxy(u('http://corp.local'), 'corp.local')).toBe(true)
    expect(bypassesProxy(u('http://a.corp.local'), 'corp.local')).toBe(true)
    expect(bypassesProxy(u('http://a.corp.local'), '.corp.local')).toBe(true)
    expect(bypassesProxy(u('http://anything'), '*')).toBe(true)
  })

  it('does not match a host that merely ends with the same letters', () => {
    expect(bypassesProxy(u('http://evilcorp.local'), 'corp.local')).toBe(false)
  })

  it('honours a port when the entry names one', () => {
    expect(bypassesProxy(u('http://veil:8080'), 'veil:8080')).toBe(true)
    expect(bypassesProxy(u('http://veil:9090'), 'veil:8080')).toBe(false)
    expect(bypassesProxy(u('https://veil'), 'veil:443')).toBe(true)
  })

  it('matches IPv6 literals without brackets', () => {
    expect(bypassesProxy(u('http://[::1]:8080'), '::1')).toBe(true)
  })
})
