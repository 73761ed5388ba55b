// All configuration of Veil: one zod schema over environment variables, parsed once at start,
// frozen and passed down. Nothing else in src/ reads or writes process.env.
import { join } from 'node:path'
import { z } from 'zod'
import ipaddr from 'ipaddr.js'
import { isWrapKey } from './privacy/salt-wrap.ts'

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def)

const cidrList = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: [ipaddr.IPv4 | ipaddr.IPv6, number][] = []
    for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      try {
        out.push(part.includes('/') ? ipaddr.parseCIDR(part) : toHostCidr(part))
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not an IP address or CIDR range` })
      }
    }
    return out
  })

function toHostCidr(ip: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const addr = ipaddr.parse(ip)
  return [addr, addr.kind() === 'ipv4' ? 32 : 128]
}

export const configSchema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  /** Embedded ClickHouse (chDB) data directory; unused with CLICKHOUSE_URL. */
  DATA_DIR: z.string().default('./data'),
  APPS_FILE: z.string().default('./apps.json'),
  /** A ClickHouse server, e.g. http://clickhouse:8123; unset means the embedded engine. */
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  /** With CLICKHOUSE_URL: a cluster name from the server's remote_servers; tables become replicated + distributed. */
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('veil'),
  /**
   * With CLICKHOUSE_URL, salts live wrapped in a database of their own that only the ingestion
   * role may read (PRIVACY.md 19; docs/operations.md "Salts and keys"): its name, the user that
   * reads it (unset: CLICKHOUSE_USER), and the key that wraps them (64 hex digits or base64 of 32
   * bytes; required with CLICKHOUSE_URL, checked at start). Unused by the embedded engine, whose
   * salts never leave the server's memory.
   */
  CLICKHOUSE_KEYS_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('veil_keys'),
  CLICKHOUSE_KEYS_USER: z.string().optional(),
  CLICKHOUSE_KEYS_PASSWORD: z.string().default(''),
  SALT_WRAP_KEY: z.string().refine(isWrapKey, 'use 32 random bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`').optional(),
  /**
   * The address browsers and SDKs reach this service at, e.g. https://veil.example.com: the
   * Segment settings point analytics.js there (docs/compat.md), never at the request's Host.
   */
  PUBLIC_URL: z.url().optional(),
  /** Proxies whose X-Forwarded-For is believed (PRIVACY.md 2): comma-separated IPs or CIDRs. */
  TRUST_PROXY: cidrList,
  /** 'standard' truncates IPv4 to /24 and IPv6 to /48; 'strict' to /16 and /32. */
  IP_TRUNCATION: z.enum(['standard', 'strict']).default('standard'),
  /** An operator's own City mmdb (GeoIP2 or DB-IP layout); default: the bundled DB-IP Lite. */
  GEOIP_CITY_DB: z.string().optional(),
  /** Months events and aggregates are kept (PRIVACY.md 7): at most 25. */
  RETENTION_MONTHS: int(24, 1, 25),
  MAX_BODY_BYTES: int(1024 * 1024, 1024),
  MAX_EVENTS_PER_BATCH: int(100, 1, 10_000),
  /** Events older than this (after clock correction) are rejected. Covers offline on-prem SDKs. */
  MAX_EVENT_AGE_HOURS: int(24 * 30, 1),
  /** Events up to this far in the future are clamped to the receive time; further ones rejected. */
  MAX_FUTURE_SKEW_MINUTES: int(60, 0),
  /** Per write key: sustained requests per second, and the burst allowed above it. */
  RATE_LIMIT_RPS: int(1000, 1),
  RATE_LIMIT_BURST: int(2000, 1),
  /** Group commit: rows in one insert, wait for more rows, give up on storage after. */
  WRITER_MAX_ROWS: int(50_000, 1),
  WRITER_MAX_DELAY_MS: int(20, 0),
  WRITER_TIMEOUT_MS: int(10_000, 100),
  /** An insert not settled by then counts as failed; its outcome is unknown, so it is re-sent as it was. */
  WRITER_INSERT_TIMEOUT_MS: int(30_000, 100),
  /** Wait before rows whose insert failed are re-sent (same rows, same token); 0: never re-sent. */
  WRITER_RETRY_MS: int(1000, 0),
  /** Rows waiting for storage before new requests get 503 (a bound, not a buffer to grow). */
  WRITER_MAX_PENDING_ROWS: int(500_000, 1),
  /**
   * 'direct': a 202 waits for the ClickHouse insert (group commit). 'spool': a 202 waits for an
   * fdatasync of the anonymised rows to a local write-ahead spool, which feeds ClickHouse in
   * large batches. Default: 'spool' with the embedded engine (its DATA_DIR is a local disk
   * anyway, and a 202 then costs an fdatasync instead of an insert), 'direct' with
   * CLICKHOUSE_URL, which keeps nodes stateless (DESIGN.md "Scale-out"); resolved in loadConfig.
   */
  WRITE_MODE: z.enum(['direct', 'spool']).optional(),
  /** The spool's directory; default DATA_DIR/veil-spool. */
  SPOOL_DIR: z.string().optional(),
  /** Spooled bytes not yet in ClickHouse beyond which requests get 503. */
  SPOOL_MAX_BYTES: int(256 * 2 ** 20, 2 ** 20),
  /** Segment file size: a feed never spans two segments, so it also caps the rows of one insert. */
  SPOOL_SEGMENT_BYTES: int(64 * 2 ** 20, 64 * 1024),
  /** Free bytes kept on the spool's filesystem: appends that would go below get 503 (docs/durability.md). */
  SPOOL_MIN_FREE_BYTES: int(64 * 2 ** 20, 0),
  /**
   * Room kept on the spool's disk for the feeder's inserts (storage/spool/feeder-room.ts): given
   * to the store when an insert fails for want of space, so a spool and a store on one full
   * disk still feed and free it. An insert is at most one segment, written to a feed file, and
   * the engine then reserves about 0.8 of it for the part: the default is two segments. 0 keeps none.
   */
  SPOOL_FEEDER_ROOM_BYTES: z.coerce.number().int().min(0).optional(),
  /**
   * Rows per ClickHouse insert from the spool, and how long the first row waits for more. Fewer,
   * larger inserts cost the engine much less per row (fewer parts for the events table, its 10
   * views and their merges): 2 s instead of 0.5 s cut the engine's CPU per event by about a third
   * at batch50 (docs/performance.md, "Feed size"). Reports see rows up to that much later.
   */
  SPOOL_INSERT_ROWS: int(100_000, 1),
  SPOOL_FEED_DELAY_MS: int(2000, 0),
  /**
   * Groups the spool writes before the fdatasync that acknowledges them has returned
   * (storage/spool/append.ts). 1, the default: one group is written and synced at a time, the
   * least main-thread CPU per append. More: what arrives while a sync runs is written at once and
   * covered by the next sync; it measured no lower tail on this project's bench machine and cost
   * more CPU per append (docs/performance.md, "The 1-event ratio"), but may help a disk whose syncs are slow.
   */
  SPOOL_GROUPS_IN_FLIGHT: int(1, 1),
  /**
   * Before each insert, drop events stored already (sql/0033): by another node behind the same
   * load balancer, or by this one beyond its retry memory. One lookup per insert.
   */
  DEDUP_STORE_CHECK: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** Event ids remembered to drop retried events before they reach storage. */
  DEDUP_WINDOW_IDS: int(1_000_000, 0),
  /**
   * On the embedded engine, the memory of a Bloom filter of the ids this node stored in the last
   * two hours (stored-ids-filter.ts): the store check looks up only the ids it may hold, instead
   * of reading all of recent_event_ids per insert. 0 turns it off (every id is looked up).
   */
  STORED_IDS_FILTER_BYTES: int(64 * 2 ** 20, 0),
  /**
   * The embedded engine's memory (docs/operations.md "Memory"); unused with CLICKHOUSE_URL,
   * whose server has its own configuration. Each of its caches of marks and indexes is bounded
   * to this (the engine's defaults are 5 GiB each, sized for a dedicated server).
   */
  ENGINE_CACHE_BYTES: int(64 * 2 ** 20, 0),
  /**
   * Rows the engine gathers into one block before a spool feed's insert writes a part and runs
   * the materialized views over it: the size of the insert's working memory.
   */
  ENGINE_INSERT_BLOCK_ROWS: int(1_048_449, 1024),
  /**
   * chDB's allocator (jemalloc) options, as its JE_MALLOC_CONF variable: how soon freed memory
   * goes back to the system. Read once, when the engine is loaded.
   */
  ENGINE_MALLOC_CONF: z.string().regex(/^[a-z_]+:[A-Za-z0-9_.]+(,[a-z_]+:[A-Za-z0-9_.]+)*$/, 'use jemalloc\'s form, e.g. dirty_decay_ms:1000,muzzy_decay_ms:0').default('dirty_decay_ms:1000'),
  UA_CACHE_SIZE: int(10_000, 0),
  GEO_CACHE_SIZE: int(50_000, 0),
  HASH_CACHE_SIZE: int(200_000, 0),
  /**
   * The largest difference between this node's clock and the store's (now64()) that ingestion
   * trusts (src/clock/clock-check.ts); beyond it /v1/batch answers 503. Five minutes: a twelfth
   * of the narrowest window a skew breaks (recent_event_ids takes rows up to an hour ahead, the
   * retry memory is seeded from the last hour), far above what NTP keeps (milliseconds). 0: off.
   */
  CLOCK_MAX_SKEW_SECONDS: int(300, 0),
  /**
   * Milliseconds between the publisher's ticks (PRIVACY.md 17, src/privacy/values/publisher.ts):
   * how soon a value that k people sent is stored and shown as it is. 0: never on a timer.
   */
  VALUES_PUBLISH_MS: int(5_000, 0),
  /** The whole of a stop (SIGTERM): requests, then flushing, then closing storage (docs/durability.md). */
  SHUTDOWN_TIMEOUT_MS: int(15_000, 0),
  /**
   * GET /metrics on the public port shows the process's series only, unless a scrape sends
   * `Authorization: Bearer <METRICS_TOKEN>`: Veil's own series (events by app and reason) move
   * with one person's events (PRIVACY.md 19). METRICS_PORT opens a separate listener on
   * METRICS_HOST (loopback by default) with every series (0: any free port).
   */
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  /**
   * `veil relay` (docs/relay.md): the central Veil the anonymised rows go to, e.g.
   * https://veil.example.com, and this site's relay key there (`veil apps relay-add`). Unset URL:
   * rows wait in the spool for `veil relay export` (an air-gapped site).
   */
  RELAY_CENTRAL_URL: z.url().optional(),
  RELAY_KEY: z.string().regex(/^rl_[A-Za-z0-9_-]{8,}$/, 'relay keys look like rl_...').optional(),
  /** An HTTP(S) proxy the relay reaches the central Veil through (the usual HTTPS_PROXY variable). */
  HTTPS_PROXY: z.url().optional(),
  /**
   * The relay's spool: bytes of anonymised rows kept while the uplink is away (4 GiB: about 17
   * million rows of ~250 bytes, 9 weeks at 3 events/s; docs/relay.md "Sizing"). What happens
   * when full is RELAY_SPOOL_FULL's.
   */
  RELAY_SPOOL_MAX_BYTES: int(4 * 2 ** 30, 2 ** 20),
  /**
   * A full relay spool (docs/relay.md "When the spool is full"): `refuse`, new events get 503 and
   * the applications keep them; `drop-oldest`, the oldest rows not being forwarded are given up,
   * whole frames, counted (veil_relay_dropped_rows_total) and logged, and new events are taken.
   */
  RELAY_SPOOL_FULL: z.enum(['refuse', 'drop-oldest']).default('refuse'),
  /** Rows per forward at most, and how long the first waits for company. */
  RELAY_FORWARD_ROWS: int(5000, 1),
  RELAY_FORWARD_DELAY_MS: int(2000, 0),
  /** A forward not answered by then counts as failed and is sent again (same rows: stored once). */
  RELAY_FORWARD_TIMEOUT_MS: int(30_000, 100),
  /** Ceiling of the back-off between forwards that fail (doubling from 1 s, with jitter). */
  RELAY_BACKOFF_MAX_MS: int(5 * 60_000, 10),
  /**
   * Where the relay's tracking plans come from: `local`, the site's apps file; `central`, the
   * central Veil (GET /v1/plan with RELAY_KEY) at each start, cached for starts without uplink.
   */
  RELAY_PLANS: z.enum(['local', 'central']).default('local'),
  /** Nothing leaves the site before a local approval (`veil relay approve`, or the outbox page). */
  RELAY_REQUIRE_APPROVAL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * How an operator runs the CLI where this process runs, named in every message that tells
   * them to run one: `npm run veil --` in a checkout, `veil` in the image (the Dockerfile sets it).
   */
  VEIL_CLI: z.string().min(1).default('npm run veil --'),
  /**
   * Calibrated noise on every number of the reports API (docs/reports.md, PRIVACY.md 18). `off`
   * is for tests and development only: refused when NODE_ENV is production.
   */
  REPORT_NOISE: z.enum(['on', 'off']).default('on'),
  /** The report noise key as 64 hex digits, where several nodes serve reports; default a file in DATA_DIR. */
  REPORT_NOISE_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'use 32 random bytes as 64 hex digits').optional(),
  NODE_ENV: z.string().optional(),
}).refine((c) => !(c.REPORT_NOISE === 'off' && c.NODE_ENV === 'production'), {
  path: ['REPORT_NOISE'],
  message: 'off is for tests and development only, not with NODE_ENV=production',
}).refine((c) => c.SPOOL_MAX_BYTES >= c.SPOOL_SEGMENT_BYTES, {
  path: ['SPOOL_MAX_BYTES'],
  message: 'must be at least SPOOL_SEGMENT_BYTES',
}).refine((c) => !c.CLICKHOUSE_CLUSTER || c.CLICKHOUSE_URL, {
  path: ['CLICKHOUSE_CLUSTER'],
  message: 'a cluster needs a ClickHouse server: set CLICKHOUSE_URL too',
})

/** The spool's directory: SPOOL_DIR, or DATA_DIR/veil-spool (the server and the CLI alike). */
export function spoolDirOf(config: Pick<Config, 'SPOOL_DIR' | 'DATA_DIR'>): string {
  return config.SPOOL_DIR ?? join(config.DATA_DIR, 'veil-spool')
}

type ParsedConfig = z.infer<typeof configSchema>
export type Config = Readonly<Omit<ParsedConfig, 'WRITE_MODE'> & { WRITE_MODE: NonNullable<ParsedConfig['WRITE_MODE']> }>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment (or any record of strings, for tests) into a frozen Config. */
export function loadConfig(env: Record<string, string | undefined> = process.env, opts: { offline?: boolean } = {}): Config {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  // Commands that never connect (`veil migrate --dry-run`) may name a cluster without a server.
  if (opts.offline && present.CLICKHOUSE_CLUSTER && !present.CLICKHOUSE_URL) present.CLICKHOUSE_URL = 'http://offline.invalid:8123'
  const result = configSchema.safeParse(present)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const WRITE_MODE = result.data.WRITE_MODE ?? (result.data.CLICKHOUSE_URL ? 'direct' : 'spool')
  return Object.freeze({ ...result.data, WRITE_MODE })
}

/**
 * chDB's jemalloc reads its options from JE_MALLOC_CONF (its build prefixes the name; plain
 * MALLOC_CONF is ignored), once, when the library is loaded: so the configured options are put
 * into this process's environment before the first import of chdb (storage/clickhouse/client.ts), and change
 * nothing for a process that loaded it already.
 */
export const ALLOCATOR_ENV = 'JE_MALLOC_CONF'
export function exportAllocatorOptions(config: Pick<Config, 'ENGINE_MALLOC_CONF'>): void {
  process.env[ALLOCATOR_ENV] = config.ENGINE_MALLOC_CONF
}
