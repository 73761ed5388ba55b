// Debian's headless Chromium for the browser tests (README: `.ci/run` installs it where missing;
// playwright-core never downloads a browser), with one set of flags: no first-run work, no
// background network, no QUIC. A test adds its own flags (a User-Agent, host resolver rules).
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] })
}
