// The server process of stop-overrun.test.ts: main.ts's node (src/boot/run-node.ts) with one
// hook, a line on stdout each time an events insert starts, so the test signals it mid-insert.
import { loadConfig } from '../../src/config.ts'
import { runNode } from '../../src/boot/run-node.ts'

const started = () => process.stdout.write('{"msg":"test hook: events insert started"}\n')
await runNode(loadConfig(), {
  wrapInsert: (insert) => async (rows, token) => {
    started()
    await insert(rows, token)
  },
  wrapSpoolInsert: (insert) => async (body, rows, token, first, format) => {
    started()
    await insert(body, rows, token, first, format)
  },
})
