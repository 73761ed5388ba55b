// Runs the date-sensitive tests again with the process clock moved ahead (default 40 days), so
// a test tied to a calendar day fails the day it is written, not weeks later. Used by .ci/run.
// Usage: node scripts/test-shifted-clock.mjs [days] [vitest paths...]
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const [daysArg, ...paths] = process.argv.slice(2)
const days = daysArg ?? '40'
const shift = fileURLToPath(new URL('../test/support/shift-clock.mjs', import.meta.url))
const env = {
  ...process.env,
  VEIL_TEST_CLOCK_SHIFT_DAYS: days,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${shift}`.trim(),
}
// Not test/e2e: Chromium keeps the real clock, so a browser and a shifted server would disagree.
const targets = paths.length > 0 ? paths : ['test/conventions', 'test/unit', 'test/http', 'test/integration', 'test/sdk']
console.log(`Running ${targets.join(' ')} with the clock ${days} days ahead`)
const r = spawnSync('npx', ['vitest', 'run', ...targets], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
