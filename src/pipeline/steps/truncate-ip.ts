// truncate_ip: the first thing done to an address (PRIVACY.md 2). IPv4 keeps /24 (strict /16),
// IPv6 keeps /48 (strict /32); IPv4-mapped IPv6 is treated as the IPv4 address it carries.
import ipaddr from 'ipaddr.js'
import type { RequestState } from '../types.ts'

export type TruncationMode = 'standard' | 'strict'

const PREFIX = { standard: { ipv4: 24, ipv6: 48 }, strict: { ipv4: 16, ipv6: 32 } } as const

// A dotted quad as a socket or proxy writes it: decimal parts, no leading zeros.
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/

/** The network address of `ip` at the mode's prefix length, or undefined if it is not an IP. */
export function truncateAddress(ip: string, mode: TruncationMode): string | undefined {
  // Most senders are plain IPv4: its prefix is its first parts as written, without the four
  // objects ipaddr.js builds for it (a tenth of a 1-event request's pipeline).
  const quad = DOTTED_QUAD.exec(ip)
  if (quad !== null) {
    const [, a, b, c, d] = quad
    if (Number(a) > 255 || Number(b) > 255 || Number(c) > 255 || Number(d) > 255) return undefined
    return PREFIX[mode].ipv4 === 24 ? `${a}.${b}.${c}.0` : `${a}.${b}.0.0`
  }
  return truncateParsed(ip, mode)
}

/** truncateAddress through ipaddr.js: every form of IPv6, and the reference for the IPv4 path above. */
export function truncateParsed(ip: string, mode: TruncationMode): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6
  // Only dotted-quad IPv4: ipaddr.parse also takes "1" or "0x7f.1", which no socket or proxy
  // writes and which would place the sender somewhere arbitrary.
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip) && !ipaddr.IPv6.isValid(ip)) return undefined
  try {
    addr = ipaddr.parse(ip)
  } catch {
    return undefined
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address()
  }
  const bits = addr.kind() === 'ipv4' ? PREFIX[mode].ipv4 : PREFIX[mode].ipv6
  const bytes = addr.toByteArray()
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    bytes[i] &= (0xff << (8 - keep)) & 0xff
  }
  return ipaddr.fromByteArray(bytes).toString()
}

export function createTruncateIpStep(mode: TruncationMode) {
  return function truncateIp(req: RequestState): RequestState {
    const prefix = req.client.ip ? truncateAddress(req.client.ip, mode) : undefined
    // The full address goes now; from here on only the prefix exists.
    return { ...req, client: { ...req.client, ip: undefined }, ipPrefix: prefix }
  }
}
