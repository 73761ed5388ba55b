// Start phase: the salts, in memory (embedded engine) or wrapped in the key store (server), never
// readable by the role that reports or runs `veil sql` (PRIVACY.md 19, privacy/open-salts.ts);
// and their housekeeping: retired salts, and the sealed copies of their periods, go within a minute
// (the key store's TTL is the safety net).
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import { errorFields } from '../observability/log-error.ts'
import { openSaltStore, type OpenedSalts } from '../privacy/open-salts.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { ValuesRoom } from '../privacy/values/index.ts'
import type { Storage } from '../storage/clickhouse/client.ts'

/** Opens the salt store; storage is closed again if that fails (a server without SALT_WRAP_KEY). */
export async function openSalts(config: Config, storage: Storage, now: () => number, logger: Logger): Promise<OpenedSalts> {
  try {
    return await openSaltStore(config, storage, now, (e) => logger.warn({ error: errorFields(e) }, 'salt purge at rotation failed'))
  } catch (e) {
    await storage.close()
    throw e
  }
}

/** Deletes retired salts and the sealed copies of their periods now and every minute; returns what stops it. */
export function startSaltPurge(salts: SaltStore, values: Pick<ValuesRoom, 'purgeExpired'>, logger: Logger): () => void {
  const purge = () =>
    Promise.all([
      salts.purgeExpired().then(
        (n) => n > 0 && logger.info({ deleted: n }, 'expired salts deleted'),
        (e: unknown) => logger.warn({ error: errorFields(e) }, 'salt purge failed'),
      ),
      values.purgeExpired().then(
        (n) => n > 0 && logger.info({ deleted: n }, 'sealed copies of expired periods deleted'),
        (e: unknown) => logger.warn({ error: errorFields(e) }, 'sealed copies purge failed'),
      ),
    ])
  void purge()
  const timer = setInterval(purge, 60_000)
  timer.unref()
  return () => clearInterval(timer)
}
