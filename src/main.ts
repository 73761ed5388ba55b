// `npm start`: one Veil node. Configuration from the environment (README), embedded ClickHouse
// under DATA_DIR unless CLICKHOUSE_URL is set; signals as boot/run-node.ts says. Everything it
// logs is one JSON line per entry, failures included.
import { loadConfig, type Config } from './config.ts'
import { createLogger } from './observability/logger.ts'
import { runNode } from './boot/run-node.ts'
import { errorFields } from './observability/log-error.ts'

let config: Config | undefined
try {
  config = loadConfig()
} catch (e) {
  createLogger('info').fatal({ error: errorFields(e) }, 'cannot start: invalid configuration')
  process.exitCode = 1
}
if (config) {
  const logger = createLogger(config.LOG_LEVEL)
  runNode(config).catch((e: unknown) => {
    logger.fatal({ error: errorFields(e) }, `cannot start: ${errorFields(e).message}`)
    // pino writes stdout synchronously by default; exit once the line is out.
    process.exitCode = 1
    setImmediate(() => process.exit(1))
  })
}
