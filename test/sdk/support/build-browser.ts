// Builds the browser SDK into a fresh temp directory through sdk/build.mjs, so that test files
// running in parallel never read a half-written dist/.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../../..')

export function buildBrowserSdk(): string {
  const out = mkdtempSync(join(tmpdir(), 'veil-sdk-build-'))
  execFileSync(process.execPath, [join(ROOT, 'sdk/build.mjs'), '--out', out, '--no-types'], { stdio: 'inherit' })
  return out
}
