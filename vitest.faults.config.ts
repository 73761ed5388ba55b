// The fault suite (test/faults, docs/durability.md): real server processes killed under load,
// injected disk faults, poison rows. Part of `npm test` too (about 100 s of it on two cores);
// `npm run test:faults` runs it alone.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { isolate: true, maxForks: 2, minForks: 1 } },
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
})
