// scrubText and normalisePath (PRIVACY.md 5): personal data in free text becomes placeholders,
// while ordinary text (versions, dates, small numbers) survives; paths lose ids and queries.
import { describe, expect, it } from 'vitest'
import { normalisePath, scrubText } from '../../../src/privacy/scrub.ts'

describe('scrubText: personal data becomes a placeholder', () => {
  it('replaces e-mail addresses', () => {
    expect(scrubText('write to anna.schmidt+test@example.co.uk please')).toBe('write to [email] please')
    expect(scrubText('a@b.de,c.d@e-f.com')).toBe('[email],[email]')
  })

  it.each([
    ['+49 170 1234567'],
    ['+49-170-1234567'],
    ['+491701234567'],
    ['0049 (0)89 123456'],
    ['089/1234567'],
    ['089 1234567'],
    ['0170 1234567'],
    ['+1 (555) 123-4567'],
    ['(555) 123-4567'],
    ['555-123-4567'],
  ])('replaces the phone number %s', (phone) => {
    const out = scrubText(`call me at ${phone} today`)
    expect(out).toBe('call me at [phone] today')
  })

  it('replaces IPv4 addresses', () => {
    expect(scrubText('request from 192.168.1.23 failed')).toBe('request from [ip] failed')
    expect(scrubText('10.0.0.1,172.16.5.4')).toBe('[ip],[ip]')
  })

  it.each([
    ['2001:db8:85a3:0:0:8a2e:370:7334'],
    ['2001:db8:85a3::8a2e:370:7334'],
    ['2001:db8::1'],
    ['2001:db8:1234::abcd'],
    ['2a00:1450:4001:81b::200e'],
    ['2001:db8::'],
    ['2001:db8::/32'],
  ])('replaces the IPv6 address %s as one placeholder, leaving none of it behind', (ip) => {
    expect(scrubText(`peer ${ip} closed`)).toBe('peer [ip] closed')
  })

  it('replaces a MAC address, which identifies a device', () => {
    expect(scrubText('adapter 00:1a:2b:3c:4d:5e down')).toBe('adapter [ip] down')
  })

  it('replaces IBANs, grouped or not', () => {
    expect(scrubText('IBAN DE89 3704 0044 0532 0130 00 bitte')).toBe('IBAN [iban] bitte')
    expect(scrubText('IBAN DE89370400440532013000 bitte')).toBe('IBAN [iban] bitte')
    expect(scrubText('GB82 WEST 1234 5698 7654 32')).toBe('[iban]')
  })

  it('replaces card numbers grouped by spaces or dashes, or not grouped', () => {
    expect(scrubText('card 4111 1111 1111 1111 declined')).toBe('card [card] declined')
    expect(scrubText('card 4111-1111-1111-1111 declined')).toBe('card [card] declined')
    expect(scrubText('card 4111111111111111 declined')).toBe('card [card] declined')
  })

  it('replaces long digit runs such as customer or personnel numbers', () => {
    expect(scrubText('customer 123456 called')).toBe('customer [number] called')
    expect(scrubText('PLZ 80331 München')).toBe('PLZ [number] München')
    expect(scrubText('Personalnummer:004711')).toBe('Personalnummer:[number]')
  })

  it('replaces URLs whole, host and path included: both can name a person', () => {
    const out = scrubText('open https://jane-roe.example.com/orders/5?token=s3cr3t&user=anna#top now')
    expect(out).toBe('open [url] now')
    expect(scrubText('http://x.io/a#access_token=abc')).toBe('[url]')
  })

  it('scrubs several kinds of data in one text', () => {
    const out = scrubText('Anna (anna@example.com, +49 170 1234567) from 203.0.113.9 paid with DE89370400440532013000')
    expect(out).toBe('Anna ([email], [phone]) from [ip] paid with [iban]')
  })

  it('is idempotent', () => {
    const once = scrubText('mail a@b.de, call +49 170 1234567, ip 2001:db8::1, https://x.io/?q=1')
    expect(scrubText(once)).toBe(once)
    expect(once).toBe('mail [email], call [phone], ip [ip], [url]')
  })
})

describe('scrubText: ordinary text is left alone', () => {
  it.each([
    ['version 4.2.1 installed'],
    ['rated 5 of 5'],
    ['took 1840 ms for 312 rows'],
    ['on 2026-11-22 at 10:30'],
    ['2026-11-22T10:30:00Z'],
    ['between 12:30:00 and 13:45:10'],
    ['aspect ratio 16:9, layout 3:2:1'],
    ['report monthly_alarms status ok'],
    ['de-DE'],
    ['Node.js crashed in report.pdf export'],
    [''],
  ])('keeps %j unchanged', (text) => {
    expect(scrubText(text)).toBe(text)
  })
})

describe('normalisePath', () => {
  it('drops the query string and the fragment', () => {
    expect(normalisePath('/reports/monthly?token=abc&user=anna#section-2')).toBe('/reports/monthly')
    expect(normalisePath('/settings#privacy')).toBe('/settings')
  })

  it('replaces numeric segments by :id', () => {
    expect(normalisePath('/orders/48213/items/7')).toBe('/orders/:id/items/:id')
  })

  it('replaces UUID, e-mail and long hex segments by :id', () => {
    expect(normalisePath('/doc/550e8400-e29b-41d4-a716-446655440000/edit')).toBe('/doc/:id/edit')
    expect(normalisePath('/users/anna.schmidt@example.com/profile')).toBe('/users/:id/profile')
    expect(normalisePath('/users/anna%40example.com')).toBe('/users/:id')
    expect(normalisePath('/blobs/deadbeefdeadbeef0123')).toBe('/blobs/:id')
  })

  it('replaces long mixed tokens such as order numbers by :id', () => {
    expect(normalisePath('/orders/AB-2024-000123')).toBe('/orders/:id')
  })

  it('reduces a full URL to its path', () => {
    expect(normalisePath('https://app.example.com/orders/99?x=1')).toBe('/orders/:id')
    expect(normalisePath('https://app.example.com')).toBe('/')
  })

  it('replaces a segment holding personal data whole, not only the data', () => {
    expect(normalisePath('/orders/48213/call 089 1234567')).toBe('/orders/:id/:id')
    expect(normalisePath('/orders/48213/to%20anna@example.com%20now')).toBe('/orders/:id/:id')
  })

  it('replaces a segment with a stray % or any digit, versions included (issue 10: letters and digits mixed)', () => {
    expect(normalisePath('/discount/50%/items')).toBe('/discount/:id/items')
    expect(normalisePath('/api/v2/reports/monthly_alarms')).toBe('/api/:id/reports/monthly_alarms')
  })

  it('keeps ordinary words', () => {
    expect(normalisePath('/settings/profile')).toBe('/settings/profile')
    expect(normalisePath('/reports/monthly-alarms/edit')).toBe('/reports/monthly-alarms/edit')
  })

  it('adds the leading slash to a relative path', () => {
    expect(normalisePath('orders')).toBe('/orders')
  })

  it('makes two visits of one page with different ids count as one path', () => {
    expect(normalisePath('/orders/48213?token=x')).toBe(normalisePath('/orders/99'))
  })

  it('replaces a segment that is not valid percent-encoding', () => {
    expect(normalisePath('/files/%ZZ')).toBe('/files/:id')
  })
})
