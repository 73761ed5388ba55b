// Issue 24, item 8: requests on idle keep-alive connections at the moment a node starts stopping
// (SIGTERM calls the same stop()). Node's server.close() destroyed those connections at once, so
// a request a client had just sent on one was reset unanswered (13 of 17 in the fault run); now
// each gets its answer, with Connection: close. A real server on a real socket.
import { request, Agent } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startTestServer } from '../support/server.ts'

const get = (agent: Agent, port: number, path: string) =>
  new Promise<{ status: number; connection?: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end()
  })

describe('a stop with idle keep-alive connections', () => {
  it('answers a request sent on each of them just after the stop began, with Connection: close', async () => {
    const s = await startTestServer({ env: { SHUTDOWN_TIMEOUT_MS: '4000' } })
    const agent = new Agent({ keepAlive: true, maxSockets: 17 })
    // 17 connections, each answered once and now idle in the agent's pool.
    await Promise.all(Array.from({ length: 17 }, () => get(agent, s.port, '/healthz')))
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(17)
    const stopped = s.stop()
    const answers = await Promise.allSettled(Array.from({ length: 17 }, () => get(agent, s.port, '/healthz')))
    await stopped
    agent.destroy()
    const failed = answers.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason))
    expect(failed).toEqual([])
    for (const a of answers) expect((a as PromiseFulfilledResult<{ connection?: string }>).value.connection).toBe('close')
  }, 60_000)
})
