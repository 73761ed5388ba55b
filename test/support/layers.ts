// Which test files belong to which layer where the folder alone does not say (vitest.config.ts):
// the SDK tests that start a server, a socket or a child process run in forks with the HTTP
// layer; every other file under test/sdk is pure and runs in the unit loop.
export const SDK_WITH_IO = [
  'test/sdk/browser-types.test.ts', // runs tsc in a child process on a generated app
  'test/sdk/node-errors.test.ts', // the real server and a node:http endpoint
  'test/sdk/node-delivery-failures.test.ts', // node:http endpoints, a closed port
  'test/sdk/node-process.test.ts', // SDK child processes against the real server
  'test/sdk/node-retry.test.ts', // a node:http endpoint
  'test/sdk/node-transport.test.ts', // node:http endpoints and a proxy
]

/** What a file of the unit loop may not use: an engine, a server, a socket, a browser, a process. */
export const UNIT_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/from 'node:(child_process|http|https|net|worker_threads)'/, 'a socket or a child process'],
  [/from 'playwright-core'/, 'a browser'],
  [/from 'chdb|openStorage\(|startVeil\(|startTestServer\(|copyTemplate\(/, 'the engine'],
  [/\.listen\(|serve\(\{/, 'a listening socket'],
]
