// Runs the tests where a clock decides again with the process clock moved ahead (default 40
// days), so a test tied to a calendar day fails the day it is written, not weeks later. Used by
// .ci/run. Usage: node scripts/test-shifted-clock.mjs [days] [vitest paths...]
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * The files where a clock decides: a time the test states or reads and something compares
 * (TTLs, retention, salt periods, clamp windows, report ranges, now() and today() in SQL), or
 * the ids of the last hour, which the engine keeps by its own wall clock (sql/0033) while rows
 * carry this process's. test/conventions/clock-files.test.ts finds them by that rule and fails
 * when one is missing here. Not test/e2e: Chromium keeps the real clock, so a browser and a
 * shifted server would disagree.
 */
export const CLOCK_FILES = [
  'test/conventions/clock-files.test.ts',
  'test/conventions/fixed-dates.test.ts',
  'test/http/batch-edge.test.ts',
  'test/http/batch-people.test.ts',
  'test/http/batch-visitors.test.ts',
  'test/http/batch.test.ts',
  'test/http/bench-paced.test.ts',
  'test/http/compat-posthog.test.ts',
  'test/http/compat-segment.test.ts',
  'test/http/metrics.test.ts',
  'test/http/relay-keys.test.ts',
  'test/http/stats-dashboard.test.ts',
  'test/http/stats-explore.test.ts',
  'test/http/stats-funnel.test.ts',
  'test/http/stats-min-orgs.test.ts',
  'test/integration/cluster-schema.test.ts',
  'test/integration/compose-grants.test.ts',
  'test/integration/compat-durability.test.ts',
  'test/integration/compat-node-sdks.test.ts',
  'test/integration/dedup-warmup.test.ts',
  'test/integration/engine-settings.test.ts',
  'test/integration/engine-template.test.ts',
  'test/integration/fractional-epochs.test.ts',
  'test/integration/ingest-durability.test.ts',
  'test/integration/late-retries.test.ts',
  'test/integration/migration-lock.test.ts',
  'test/integration/orgs-migration.test.ts',
  'test/integration/privacy-kind8-reports.test.ts',
  'test/integration/people-daily.test.ts',
  'test/integration/privacy-kind9-memory-disk.test.ts',
  'test/integration/rejections-noise.test.ts',
  'test/integration/rejections-posthog.test.ts',
  'test/integration/relay-forward.test.ts',
  'test/integration/relay-outbox.test.ts',
  'test/integration/privacy-sybil-noise.test.ts',
  'test/integration/salt-vault.test.ts',
  'test/integration/salts.test.ts',
  'test/integration/schema.test.ts',
  'test/integration/server-insert-body.test.ts',
  'test/integration/session-settings.test.ts',
  'test/integration/spool-binary.test.ts',
  'test/integration/spool-cli.test.ts',
  'test/integration/spool-crash.test.ts',
  'test/integration/spool-feeder.test.ts',
  'test/integration/spool-lock.test.ts',
  'test/integration/spool-replay.test.ts',
  'test/integration/spool-stored-check.test.ts',
  'test/integration/spool-upgrade.test.ts',
  'test/integration/stats-api.test.ts',
  'test/integration/stats-stable-figures.test.ts',
  'test/integration/stats-values-mapping.test.ts',
  'test/integration/values-known-to-k.test.ts',
  'test/integration/values-shredding.test.ts',
  'test/integration/values-verbatim.test.ts',
  'test/unit/pipeline/steps/seal-values.test.ts',
  'test/unit/privacy/values/seal.test.ts',
  'test/integration/stats-fold.test.ts',
  'test/integration/stats-noise-release.test.ts',
  'test/integration/stats-reports.test.ts',
  'test/integration/stats-suppression.test.ts',
  'test/integration/stored-ids-filter.test.ts',
  'test/sdk/core-backoff.test.ts',
  'test/sdk/drift.test.ts',
  'test/sdk/node-anonymise.test.ts',
  'test/sdk/node-delivery-failures.test.ts',
  'test/sdk/node-errors.test.ts',
  'test/sdk/node-process.test.ts',
  'test/sdk/node-retry.test.ts',
  'test/unit/apps/apps.test.ts',
  'test/unit/apps/relays.test.ts',
  'test/unit/compat/common.test.ts',
  'test/unit/compat/posthog.test.ts',
  'test/unit/compat/segment.test.ts',
  'test/unit/config.test.ts',
  'test/unit/ingest/ingest-core.test.ts',
  'test/unit/ingest/rate-limit.test.ts',
  'test/unit/ingest/uuid-check.test.ts',
  'test/unit/observability/metrics.test.ts',
  'test/unit/query/release.test.ts',
  'test/unit/pipeline/index.test.ts',
  'test/unit/pipeline/steps/clamp-time.test.ts',
  'test/unit/pipeline/steps/hash-ids.test.ts',
  'test/unit/pipeline/steps/put-device.test.ts',
  'test/unit/pipeline/steps/put-user-agent.test.ts',
  'test/unit/pipeline/steps/to-row.test.ts',
  'test/unit/privacy/person-memory.test.ts',
  'test/unit/privacy/salt-wrap.test.ts',
  'test/unit/query/explore-fields.test.ts',
  'test/unit/relay/central/row-check.test.ts',
  'test/unit/storage/commit/poison.test.ts',
  'test/unit/storage/dedup/id-table.test.ts',
  'test/unit/storage/dedup/retry-memory-batch.test.ts',
  'test/unit/storage/dedup/retry-memory.test.ts',
  'test/unit/storage/dedup/stored-ids-filter.test.ts',
  'test/unit/storage/rows/dead-letter-rows.test.ts',
  'test/unit/storage/rows/row-binary.test.ts',
  'test/unit/storage/rows/rows-format.test.ts',
  'test/unit/storage/schema/cluster-ddl.test.ts',
  'test/unit/storage/schema/migrate.test.ts',
  'test/unit/storage/schema/run-marker.test.ts',
  'test/integration/spool-fds.test.ts',
  'test/unit/storage/spool/drop-oldest.test.ts',
  'test/unit/storage/spool/disk-budget.test.ts',
  'test/unit/storage/spool/append.test.ts',
  'test/integration/relay-full-drop.test.ts',
]

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [daysArg, ...paths] = process.argv.slice(2)
  const days = daysArg ?? '40'
  const shift = fileURLToPath(new URL('../test/support/shift-clock.mjs', import.meta.url))
  const env = {
    ...process.env,
    VEIL_TEST_CLOCK_SHIFT_DAYS: days,
    // Node's clock is moved and the engine's cannot be: the clock check (src/clock/clock-check.ts)
    // would answer 503 to every batch, in the servers these tests spawn too. Tests of the check
    // itself set CLOCK_MAX_SKEW_SECONDS explicitly.
    CLOCK_MAX_SKEW_SECONDS: '0',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${shift}`.trim(),
  }
  const targets = paths.length > 0 ? paths : CLOCK_FILES
  console.log(`Running ${targets.length} test files with the clock ${days} days ahead`)
  const r = spawnSync('npx', ['vitest', 'run', ...targets], { stdio: 'inherit', env })
  process.exit(r.status ?? 1)
}
