// The client address (PRIVACY.md 2): the socket peer, unless that peer is a configured trusted
// proxy; then the rightmost X-Forwarded-For address that is not itself a trusted proxy.
import ipaddr from 'ipaddr.js'

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const a = ipaddr.parse(ip.trim())
    return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a
  } catch {
    return undefined
  }
}

function isTrusted(ip: string, trusted: readonly Cidr[]): boolean {
  const addr = parse(ip)
  if (!addr) return false
  return trusted.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits))
}

export function clientIp(peer: string | undefined, forwardedFor: string | null, trusted: readonly Cidr[]): string | undefined {
  if (!peer || trusted.length === 0 || !forwardedFor || !isTrusted(peer, trusted)) return peer
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(hops[i]!, trusted)) return parse(hops[i]!) ? hops[i] : undefined
  }
  return hops[0]
}
