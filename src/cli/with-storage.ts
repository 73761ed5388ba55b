// Opens the store for one CLI command and closes it after, whatever happens; a running server
// holding the embedded data directory is exit code 3 with the engine's reason.
import type { Config } from '../config.ts'
import { DataDirBusyError, openStorage, type Storage } from '../storage/clickhouse/client.ts'
import type { Output } from './output.ts'

/** Opens the store for one command; 3 when a running server holds the embedded data directory. */
export async function withStorage(config: Config, err: Output, run: (s: Storage) => Promise<number>): Promise<number> {
  let storage
  try {
    storage = await openStorage(config)
  } catch (e) {
    if (e instanceof DataDirBusyError) {
      await err.write(`veil: ${e.message}\n`)
      return 3
    }
    throw e
  }
  try {
    return await run(storage)
  } finally {
    await storage.close()
  }
}

