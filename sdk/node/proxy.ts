// Which proxy a request goes through, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case),
// the convention of curl and most corporate networks that on-prem installations sit in.

export type ProxyEnv = Readonly<Record<string, string | undefined>>

function env(e: ProxyEnv, name: string): string | undefined {
  return e[name.toLowerCase()] || e[name.toUpperCase()] || undefined
}

/** NO_PROXY: comma- or space-separated hosts, `.domain` or `domain` suffixes, optional `:port`, `*`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true
      const e = entry.toLowerCase()
      // `[::1]:8080`, a bare IPv6 address (more than one colon), or `host[:port]`.
      const m = /^\[(.+)\](?::(\d+))?$/.exec(e) ?? (e.split(':').length > 2 ? [e, e] : /^(.*?)(?::(\d+))?$/.exec(e)!)
      const name = m[1].replace(/^\*?\./, '')
      if (m[2] && m[2] !== port) return false
      return host === name || host.endsWith(`.${name}`)
    })
}

/** The proxy URL for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, e: ProxyEnv): URL | undefined {
  if (bypassesProxy(target, env(e, 'no_proxy'))) return undefined
  const proxy = target.protocol === 'https:' ? env(e, 'https_proxy') : env(e, 'http_proxy')
  return proxy ? new URL(proxy.includes('://') ? proxy : `http://${proxy}`) : undefined
}
