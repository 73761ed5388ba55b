// The release checks (`npm run test:release`, run by .ci/run, not by `npm test`): the
// Dockerfile's own steps with two clean `npm ci` (test/release/docker.test.ts) and the SDK
// packages as an application installs them (test/release/sdk-packages.test.ts). Minutes, not seconds.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'release',
    include: ['test/release/**/*.test.ts'],
    globalSetup: ['test/support/engine-template.ts', 'test/support/run-temp.ts'],
    pool: 'forks',
    poolOptions: { forks: { isolate: true, maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
