/**
 * ory-proxy as a library: start the proxy (and the built-in identity server) from Playwright's
 * global set-up, Vitest or a Node test runner, as `ory-proxy start` would.
 *
 * @example
 * import { startProxy } from 'ory-proxy'
 * const proxy = await startProxy({ applicationUrl: 'http://localhost:3000', port: 0 })
 * // …tests against proxy.url; test users through Kratos' admin API at proxy.adminUrl…
 * await proxy.close()
 */
export { startProxy, type RunningProxy, type StartOptions } from './start-proxy.js'
export { START_FLAGS, type CamelCase, type FlagSpec, type StartFlagName, type StartFlagOptions } from './start-flags.js'
export { ConfigError, isProxyError, ProxyError, type ProxyErrorCode } from './errors.js'
export type { Logger } from './logger.js'
