// A TCP relay that holds every answer of the upstream for `delayMs`: requests reach the server at
// once, acknowledgements come late, so a client always has a batch in flight and a backlog.
import { connect, createServer, type Server } from 'node:net'

export interface SlowProxy {
  url: string
  close(): Promise<void>
}

export async function startSlowProxy(upstreamPort: number, delayMs: number): Promise<SlowProxy> {
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1')
    client.pipe(upstream)
    upstream.on('data', (d: Buffer) => setTimeout(() => client.writable && client.write(d), delayMs))
    upstream.on('end', () => setTimeout(() => client.end(), delayMs))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.emit('close')
    }),
  }
}
