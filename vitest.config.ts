// Test runner settings. chDB binds one engine per process, so every test file runs in a
// process of its own (forks pool, isolated) with its own data directory.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { isolate: true, maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
