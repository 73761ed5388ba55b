// A tiny static server for browser tests, on its own port so that the page's origin differs from
// the Veil server's, as in production (the SDK's requests are cross-origin).
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface StaticServer {
  url: string
  /** Serves `html` at `path` (any query string). */
  page(path: string, html: string): void
  close(): Promise<void>
}

export async function startStaticServer(sdkDir: string): Promise<StaticServer> {
  const pages = new Map<string, string>()
  const server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname
    const file = { '/veil.min.js': 'veil.min.js', '/veil.mjs': 'veil.mjs' }[path]
    if (file) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(readFileSync(join(sdkDir, file)))
      return
    }
    const html = pages.get(path)
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html' }).end(html ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    page: (path, html) => void pages.set(path, html),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
