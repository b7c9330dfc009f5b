import type { buildConnector } from 'undici'
import { tunnelConnector } from './tunnel.js'

/** undici's `connect` option for an upstream: direct with a timeout, or through its forward proxy. */
export function connectOption(
  upstream: { readonly proxy: string | undefined },
  timeoutMs: number,
): buildConnector.BuildOptions | buildConnector.connector {
  return upstream.proxy === undefined ? { timeout: timeoutMs } : tunnelConnector(new URL(upstream.proxy), timeoutMs)
}
