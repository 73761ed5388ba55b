// put_device (docs/reports.md "The unit: people"): a browser's device key of the period, from the
// truncated address and the User-Agent under the app's salt; never either of them, and none for servers.
import { describe, expect, it } from 'vitest'
import { createPutDeviceStep, deviceKey } from '../../../../src/pipeline/steps/put-device.ts'
import { CHROME_WINDOWS, requestState, saltedKeys } from '../fixtures.ts'

const step = createPutDeviceStep()
const run = { keys: saltedKeys() }
const browser = (ipPrefix: string | undefined, userAgent = CHROME_WINDOWS, browserHeaders?: boolean) =>
  step(requestState({ client: { userAgent, browserHeaders }, ipPrefix }), run)

describe('put_device step', () => {
  it('gives one browser on one address the same 16-hex key on every request of the period', () => {
    const a = browser('81.2.69.0')
    const b = browser('81.2.69.0')
    expect(a.device).toMatch(/^[0-9a-f]{16}$/)
    expect(b.device).toBe(a.device)
    expect(a.device).toBe(deviceKey(run.keys, '81.2.69.0', CHROME_WINDOWS))
  })

  it('tells apart another network, another browser build and another period', () => {
    const a = browser('81.2.69.0').device
    expect(browser('81.2.70.0').device).not.toBe(a)
    expect(browser('81.2.69.0', CHROME_WINDOWS.replace('120.0.0.0', '121.0.0.0')).device).not.toBe(a)
    const next = step(requestState({ client: { userAgent: CHROME_WINDOWS }, ipPrefix: '81.2.69.0' }), { keys: saltedKeys({ salt: Buffer.alloc(32, 2), period: 20_416 }) })
    expect(next.device).not.toBe(a)
  })

  it('keeps neither the address nor the User-Agent in the key', () => {
    const out = browser('81.2.69.0')
    expect(out.device).not.toMatch(/81|Mozilla|Chrome/)
    expect(out.ipPrefix).toBe('81.2.69.0') // dropped by drop_ip, the next step
  })

  it('keys a browser without an address by its User-Agent alone, merging rather than splitting', () => {
    expect(browser(undefined).device).toBe(browser(undefined).device)
    expect(browser(undefined).device).not.toBe(browser('81.2.69.0').device)
  })

  it('gives no key to a server or an on-prem sender, whose sessions stand for their users', () => {
    expect(browser('81.2.69.0', 'python-requests/2.31').device).toBeUndefined()
    expect(step(requestState({ client: {}, ipPrefix: '81.2.69.0' }), run).device).toBeUndefined()
    // A browser's Fetch metadata makes it a browser whatever its User-Agent says.
    expect(browser('81.2.69.0', 'Custom/1.0', true).device).toMatch(/^[0-9a-f]{16}$/)
  })
})
