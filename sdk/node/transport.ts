// Posts one batch to `${endpoint}/v1/batch` with node:http(s), through a proxy when the
// environment names one: HTTPS targets tunnel with CONNECT (https-proxy-agent), plain HTTP
// targets send the absolute URL to the proxy. No User-Agent is sent (PRIVACY.md 11).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { proxyFor, type ProxyEnv } from './proxy.ts'

export interface PostResult {
  /** HTTP status, or 0 when no answer came (network error, timeout). */
  status: number
  /** Why no answer came: the socket error's code (`ECONNREFUSED`), or `timeout`. */
  error?: string
  retryAfter?: string
  body?: unknown
}

export type PostBatch = (body: string) => Promise<PostResult>

export interface TransportOptions {
  endpoint: string
  env: ProxyEnv
  timeoutMs: number
}

export function createTransport(o: TransportOptions): PostBatch {
  const target = new URL(`${o.endpoint.replace(/\/$/, '')}/v1/batch`)
  const proxy = proxyFor(target, o.env)
  const https = target.protocol === 'https:'
  const agent = proxy && https ? new HttpsProxyAgent(proxy) : undefined

  return (body) =>
    new Promise((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      const viaHttpProxy = proxy && !https
      if (viaHttpProxy && proxy.username) {
        headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
      }
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, error: `response cut short: ${e.code ?? e.message}` }))
        res.on('end', () => {
          let parsed: unknown
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch {}
          const retryAfter = res.headers['retry-after']
          resolve({ status: res.statusCode ?? 0, retryAfter, body: parsed })
        })
      }
      const req = viaHttpProxy
        ? httpRequest({ host: proxy.hostname, port: proxy.port || 80, method: 'POST', path: target.href, headers, timeout: o.timeoutMs }, onResponse)
        : (https ? httpsRequest : httpRequest)(target, { method: 'POST', headers, agent, timeout: o.timeoutMs }, onResponse)
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${o.timeoutMs} ms`), { code: 'timeout' })))
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message }))
      req.end(body)
    })
}
