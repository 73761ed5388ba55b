// The ceiling of the benchmark: a bare node:http server that reads the body, JSON.parses it and
// answers 204. What Veil does beyond that (validation, anonymisation, durable storage) is what
// the ratio of the two measures. Started as a child process like the real server.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(204).end()
    } catch {
      res.writeHead(400).end()
    }
  })
})
server.keepAliveTimeout = 65_000
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
