// Test runner settings: `npm test` runs the layers below (DESIGN.md "Layout"), each with the pool
// it needs. Pure code shares threads without per-file isolation (`npm run test:unit`, seconds);
// everything that boots chDB runs in forks, one engine per process (chDB binds one data directory
// per process), starting from the migrated template of test/support/engine-template.ts.
// test/release (the image steps, the packed SDKs) has its own config: `npm run test:release`.
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { SDK_WITH_IO } from './test/support/layers.ts'

// The template first: it is a cache kept in the machine's temp directory between runs; then the
// run's own temp directory (test/support/run-temp.ts), removed when the run ends.
const globalSetup = ['test/support/engine-template.ts', 'test/support/run-temp.ts']

/** A layer whose files boot an engine, a socket or a child process: one fork per file. */
function forked(name: string, include: string[], timeouts = { testTimeout: 30_000, hookTimeout: 60_000 }): TestProjectInlineConfiguration {
  return {
    test: {
      name,
      include,
      globalSetup,
      pool: 'forks',
      poolOptions: { forks: { isolate: true } },
      sequence: { groupOrder: 1 },
      ...timeouts,
    },
  }
}

export default defineConfig({
  test: {
    // Two workers per pool, for the machine's two cores; with the group order below, only one
    // pool runs at a time (pool sizes are set here, not per layer).
    poolOptions: { forks: { maxForks: 2, minForks: 1 }, threads: { maxThreads: 2, minThreads: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          // No engine, socket, browser or child process in these (test/conventions/layers.test.ts).
          include: ['test/unit/**/*.test.ts', 'test/conventions/**/*.test.ts', 'test/sdk/**/*.test.ts'],
          exclude: SDK_WITH_IO,
          globalSetup: ['test/support/run-temp.ts'],
          pool: 'threads',
          poolOptions: { threads: { isolate: false } },
          // First and alone: a failing unit shows in seconds, and the forks then have both cores.
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      forked('http', ['test/http/**/*.test.ts', ...SDK_WITH_IO]),
      forked('integration', ['test/integration/**/*.test.ts', 'test/privacy/**/*.test.ts']),
      forked('e2e', ['test/e2e/**/*.test.ts']),
      // The fault suite (docs/durability.md); `npm run test:faults` runs it alone.
      forked('faults', ['test/faults/**/*.test.ts'], { testTimeout: 300_000, hookTimeout: 60_000 }),
    ],
  },
})
