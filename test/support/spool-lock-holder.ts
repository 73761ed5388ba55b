// A process that takes a spool directory's lock and keeps it until it is killed, for the lock
// tests (test/unit/storage/spool/lock.test.ts): `node --import tsx spool-lock-holder.ts DIR`.
import { lockSpoolDir } from '../../src/storage/spool/lock.ts'

const dir = process.argv[2]
if (!dir) throw new Error('usage: spool-lock-holder.ts DIR')
await lockSpoolDir(dir)
process.stdout.write('locked\n')
setInterval(() => undefined, 60_000)
