// sdk/core/free-text.ts and checksums.ts (PRIVACY.md 5): disguises are normalised away first,
// then each kind of personal data becomes its placeholder; ordinary text is left alone.
import { describe, expect, it } from 'vitest'
import { normaliseText, scrubFreeText } from '../../sdk/core/free-text.ts'
import { ibanLength, isIbanCompact, isLuhn } from '../../sdk/core/checksums.ts'

describe('normaliseText', () => {
  it('removes zero-width characters, folds full-width forms, decodes percent escapes and HTML entities until stable', () => {
    expect(normaliseText('a\u200Bb\u2060c\uFEFF')).toBe('abc')
    expect(normaliseText('ｊｏｅ＠ｘ．ｄｅ')).toBe('joe@x.de')
    expect(normaliseText('joe%2540x.de')).toBe('joe@x.de')
    expect(normaliseText('joe&amp;#64;x.de')).toBe('joe@x.de')
    expect(normaliseText('50% off %ZZ')).toBe('50% off %ZZ')
  })
})

describe('scrubFreeText', () => {
  it.each([
    ['e-mail in brackets', 'mail ute.lenz [at] posteo [dot] de now', 'mail [email] now'],
    ['e-mail in parentheses', 'ute (at) lenz (dot) info', '[email]'],
    ['e-mail spelled out', 'ute dot lenz at firma dot com', '[email]'],
    ['full-width at', 'ute.lenz＠firma.com', '[email]'],
    ['percent-encoded at', 'ute.lenz%40firma.com', '[email]'],
    ['HTML entity', 'ute.lenz&#x40;firma.com', '[email]'],
    ['zero-width inside', 'ute\u200D.lenz@fir\u200Cma.com', '[email]'],
    ['bare @ without domain, and a handle', 'ping @ute_lenz on ute@intranet', 'ping [handle] on [email]'],
    ['German mobile', 'Tel. 0160 98765432', 'Tel. [phone]'],
    ['French national', 'appelez le 01 42 68 53 00', 'appelez le [phone]'],
    ['UK national', 'ring 020 7946 0018', 'ring [phone]'],
    ['Brazilian', 'ligue (11) 91234-5678', 'ligue [phone]'],
    ['international', 'call +33 6 12 34 56 78', 'call [phone]'],
    ['card with dots', 'card 4000.0566.5566.5556', 'card [card]'],
    ['card with slashes', 'card 4242/4242/4242/4242', 'card [card]'],
    ['card with underscores', 'card 5200_8282_8282_8210', 'card [card]'],
    ['IBAN lower case', 'iban nl91abna0417164300', 'iban [iban]'],
    ['IBAN odd grouping', 'iban DE8937 0400440 5320130 00 ok', 'iban [iban] ok'],
    ['SSN', 'ssn 123-45-6789', 'ssn [taxid]'],
    ['VAT id', 'USt-IdNr. DE 136695976', 'USt-IdNr. [taxid]'],
    ['JWT', 'auth eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.abcDEF123456', 'auth [token]'],
    ['AWS key', 'key AKIAZ7QWERTY12345678', 'key [secret]'],
    ['Stripe key', 'key sk_test_abcdef123456', 'key [secret]'],
    ['GitHub token', 'pat ghp_1234abcd5678efgh9012ijkl3456mnop7890', 'pat [secret]'],
    ['high-entropy run', 'session Zx81kLmQ92pRt7VbN3cW', 'session [secret]'],
    ['URL without scheme', 'go to portal.firma-intern.de/users/ute', 'go to [url]'],
    ['host embedding an address', 'from 192-168-4-20.dyn.provider.net', 'from [url]'],
    ['IPv4', 'from 192.0.2.44', 'from [ip]'],
    ['digit run', 'Vertrag 884213', 'Vertrag [number]'],
  ])('replaces %s', (_what, input, output) => {
    expect(scrubFreeText(input)).toBe(output)
  })

  it.each(['version 4.2.1 on 2026-11-30 at 10:30', 'took 1840 ms for 312 rows', 'rated 4 of 5', 'Node.js crashed in the export', ''])(
    'keeps %j', (text) => expect(scrubFreeText(text)).toBe(text),
  )

  it('leaves an invalid IBAN and a card that fails Luhn to the digit rules', () => {
    expect(scrubFreeText('DE00 3704 0044 0532 0130 00')).not.toContain('0532')
    expect(isIbanCompact('DE00370400440532013000')).toBe(false)
    expect(isLuhn('4111111111111112')).toBe(false)
    expect(ibanLength('DE89 3704 0044 0532 0130 00 then')).toBe(27)
  })

  it('is idempotent', () => {
    const once = scrubFreeText('ute [at] lenz [dot] de, 0160 98765432, nl91abna0417164300')
    expect(scrubFreeText(once)).toBe(once)
  })
})
