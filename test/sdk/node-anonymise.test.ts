// Anonymisation inside the on-prem application (PRIVACY.md 11): scrubbed strings, path-free crash
// fingerprints, local-salt id hashes, OS family instead of a User-Agent.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crashFingerprint, scrubText, stackFrames } from '../../sdk/node/scrub.ts'
import { crashProps } from '../../sdk/node/crash-event.ts'
import { createIdHasher, loadLocalSalt } from '../../sdk/node/local-salt.ts'
import { osInfo } from '../../sdk/node/os-context.ts'

const names = { user: 'jdoe', host: 'plant-ws-17' }

describe('scrubText', () => {
  it('replaces e-mail addresses, IP addresses and long digit runs', () => {
    expect(scrubText('mail anna.m@example.com from 10.1.2.3 or fe80::1:2 order 123456789', names)).toBe(
      'mail [email] from [ip] or [ip] order [number]',
    )
  })

  it('replaces phone numbers, IBANs, card numbers and URL tokens with the server\'s rules', () => {
    const out = scrubText('call +49 170 1234567, pay DE89370400440532013000 or 4111 1111 1111 1111, see https://x.example/r?token=abc123')
    expect(out).toBe('call [phone], pay [iban] or [card], see [url]')
  })

  it('does not leave part of an e-mail address cut by the length bound', () => {
    const out = scrubText('x '.repeat(499) + 'anna.schmidt@example.com', {}, 500)
    expect(out).not.toMatch(/anna/)
  })

  it('leaves C++ scopes and clock times alone', () => {
    expect(scrubText('Cache::add failed at 10:30:00', {})).toBe('Cache::add failed at 10:30:00')
  })

  it('replaces Windows, UNC and Unix file paths', () => {
    expect(scrubText('ENOENT C:\\Users\\x\\cfg.ini and \\\\srv\\share\\a.txt and /home/x/app/cfg.json', {})).toBe(
      'ENOENT [path] and [path] and [path]',
    )
    expect(scrubText("open '/var/lib/veil/q' failed, see file:///opt/app/log.txt", {})).toBe("open '[path]' failed, see [path]")
  })

  it('replaces the user and host name of this machine', () => {
    expect(scrubText('login of JDOE on plant-ws-17.corp failed', names)).toBe('login of [user] on [url] failed')
    expect(scrubText('login of JDOE on PLANT-WS-17 failed', names)).toBe('login of [user] on [host] failed')
  })

  it('replaces short names as whole words only', () => {
    expect(scrubText('vm rebooted; vms are fine', { host: 'vm' })).toBe('[host] rebooted; vms are fine')
  })

  it('leaves route paths and ordinary words alone', () => {
    expect(scrubText('GET /reports/monthly returned 3 rows', names)).toBe('GET /reports/monthly returned 3 rows')
  })

  it('cuts to the prop length limit', () => {
    expect(scrubText('x'.repeat(900), {})).toHaveLength(500)
  })
})

describe('crash fingerprints', () => {
  const stackIn = (dir: string) =>
    `TypeError: boom\n    at parseRow (${dir}/lib/import.js:10:5)\n    at async importFile (file://${dir}/lib/import.js:40:3)\n    at ${dir}/main.js:3:1\n    at node:internal/modules/run_main:1:1`

  it('keeps function names and drops every location', () => {
    expect(stackFrames(stackIn('/home/jdoe/app'))).toEqual(['parseRow', 'importFile', '<anonymous>', '<anonymous>'])
  })

  it('is the same for the same crash wherever the app is installed', () => {
    expect(crashFingerprint('TypeError', stackIn('/home/jdoe/app'))).toBe(crashFingerprint('TypeError', stackIn('C:/Program Files/App')))
  })

  it('differs between crash sites', () => {
    expect(crashFingerprint('TypeError', stackIn('/a'))).not.toBe(crashFingerprint('TypeError', stackIn('/a').replace('parseRow', 'readRow')))
  })

  it('builds app_crash props with a scrubbed message and no stack', () => {
    const err = new RangeError('cannot read /home/jdoe/plant/config.yml for jdoe@example.com')
    const props = crashProps(err, true, names)
    expect(props).toEqual({ error_type: 'RangeError', message: 'cannot read [path] for [email]', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), fatal: true })
  })

  it('describes a thrown non-Error by its type', () => {
    expect(crashProps('plain string from 192.168.0.1', false, {})).toMatchObject({ error_type: 'string', message: 'plain string from [ip]', fatal: false })
  })
})

describe('local salt', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'veil-salt-'))
    dirs.push(d)
    return d
  }

  it('is created once, private to the owner, and reused on the next start', () => {
    const dir = newDir()
    const first = loadLocalSalt(dir)
    expect(first).toHaveLength(32)
    expect(statSync(join(dir, 'salt')).mode & 0o777).toBe(0o600)
    expect(loadLocalSalt(dir).equals(first)).toBe(true)
  })

  it('differs between installations, so their hashes cannot be joined', () => {
    const a = createIdHasher(loadLocalSalt(newDir()))
    const b = createIdHasher(loadLocalSalt(newDir()))
    expect(a('user', 'u-1')).not.toBe(b('user', 'u-1'))
  })

  it('hashes per kind and never returns the raw id', () => {
    const h = createIdHasher(loadLocalSalt(newDir()))
    expect(h('user', 'u-1')).toMatch(/^[0-9a-f]{64}$/)
    expect(h('user', 'u-1')).toBe(h('user', 'u-1'))
    expect(h('user', 'u-1')).not.toBe(h('org', 'u-1'))
  })
})

describe('osInfo', () => {
  it('maps Windows kernel builds to 10 and 11', () => {
    expect(osInfo('win32', '10.0.19045')).toEqual({ name: 'Windows', version: '10' })
    expect(osInfo('win32', '10.0.22631')).toEqual({ name: 'Windows', version: '11' })
    expect(osInfo('win32', '6.1.7601')).toEqual({ name: 'Windows', version: '7' })
  })

  it('maps Darwin kernels to macOS versions', () => {
    expect(osInfo('darwin', '23.4.0')).toEqual({ name: 'macOS', version: '14' })
    expect(osInfo('darwin', '25.0.0')).toEqual({ name: 'macOS', version: '26' })
  })

  it('keeps only major.minor of a Linux kernel, not the distribution suffix', () => {
    expect(osInfo('linux', '6.1.0-18-amd64')).toEqual({ name: 'Linux', version: '6.1' })
  })
})
