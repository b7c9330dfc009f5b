import type { TestContext } from 'node:test'
import { buildConfig, type ProxyOptions } from '../../src/config.js'
import { startProxyServer, type ProxyDeps, type ProxyHandle } from '../../src/server/proxy.js'

export interface TestProxy extends ProxyHandle {
  /** `http://127.0.0.1:<port>` (`https:` when the proxy serves TLS) */
  readonly url: string
}

/**
 * Starts the proxy in-process on 127.0.0.1:0 in front of `app` and `ory` (URLs), closed after the
 * test. Options override the defaults; the publish-url defaults to the listen address.
 */
export async function startTestProxy(
  t: TestContext,
  app: string,
  ory: string,
  options: Partial<ProxyOptions> = {},
  deps: ProxyDeps = {},
): Promise<TestProxy> {
  const config = buildConfig({
    applicationUrl: app,
    ory: { url: ory, source: 'sdk-url', label: '--sdk-url' },
    port: 0,
    host: '127.0.0.1',
    ...options,
  })
  const handle = await startProxyServer(config, deps)
  t.after(() => handle.close())
  return Object.assign(handle, { url: `${config.tls ? 'https' : 'http'}://127.0.0.1:${handle.port}` })
}
