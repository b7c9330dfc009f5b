import type { buildConnector } from 'undici'
import { tunnelConnector } from './tunnel.js'

/** undici's `connect` option: direct with a timeout, or through the forward proxy `proxy` (a URL). */
export function connectOption(proxy: string | undefined, timeoutMs: number): buildConnector.BuildOptions | buildConnector.connector {
  return proxy === undefined ? { timeout: timeoutMs } : tunnelConnector(new URL(proxy), timeoutMs)
}
