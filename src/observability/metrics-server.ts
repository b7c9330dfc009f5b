import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metricsOrigin, type MetricsAddress } from '../config.js'
import { drain, listen } from '../http-server.js'
import { createServer } from '../node-builtins.js'

/** What `/metrics` serves: Prometheus's text format, made when scraped. */
export interface MetricsSource {
  readonly contentType: string
  text(): Promise<string>
}

/** `/health/ready`: `starting` until the proxy accepts requests (and signs), `ready`, then `stopping` once it drains. */
export type Readiness = 'starting' | 'ready' | 'stopping'

export interface MetricsServer {
  /** `http://<host>:<port>`, the address it listens on. */
  readonly url: string
  readiness: Readiness
  /** Closes the listener and its connections. */
  close(): Promise<void>
}

/** A scrape that takes longer than this is cut (Prometheus's own default timeout is 10 s). */
const REQUEST_TIMEOUT_MS = 10_000

/**
 * The metrics listener, on its own address (never the proxy's public port): `GET /metrics` for
 * Prometheus, `GET /health/alive` (200 while the process runs) and `GET /health/ready` (200 once
 * the proxy accepts requests, 503 before and while it drains) for docker-compose and Kubernetes
 * probes. HEAD works as GET; other methods get 405, other paths 404. A port in use is an
 * `ERR_LISTEN` error naming `--metrics`.
 */
export async function startMetricsServer(address: MetricsAddress, source: MetricsSource): Promise<MetricsServer> {
  const state: { readiness: Readiness } = { readiness: 'starting' }
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return answer(res, req.method, 405, 'text/plain; charset=utf-8', 'GET or HEAD only\n', ['allow', 'GET, HEAD'])
    }
    switch (path) {
      case '/metrics':
        source.text().then(
          (text) => answer(res, req.method, 200, source.contentType, text),
          (error: unknown) => answer(res, req.method, 500, 'text/plain; charset=utf-8', `metrics unavailable: ${(error as Error).message}\n`),
        )
        return
      case '/health/alive':
        return answer(res, req.method, 200, JSON_TYPE, '{"status":"alive"}\n')
      case '/health/ready': {
        const readiness = state.readiness
        return answer(res, req.method, readiness === 'ready' ? 200 : 503, JSON_TYPE, `{"status":"${readiness}"}\n`)
      }
      default:
        return answer(res, req.method, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /health/alive, /health/ready\n')
    }
  })
  await listen(server, address.port, address.host, '--metrics')
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: metricsOrigin(address, port),
    get readiness() {
      return state.readiness
    },
    set readiness(value: Readiness) {
      state.readiness = value
    },
    close: () => (closing ??= drain(server, 1_000)),
  }
}

const JSON_TYPE = 'application/json; charset=utf-8'

function answer(
  res: ServerResponse,
  method: string | undefined,
  status: number,
  type: string,
  body: string,
  extra: readonly string[] = [],
): void {
  if (res.destroyed) return
  res.writeHead(status, ['content-type', type, 'content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-store', ...extra])
  res.end(method === 'HEAD' ? undefined : body)
}
