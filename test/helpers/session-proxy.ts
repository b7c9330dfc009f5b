import type { TestContext } from 'node:test'
import { request } from 'undici'
import { parseUpstream } from '../../src/config.js'
import { silentLogger, type Logger } from '../../src/logger.js'
import type { ProxyObserver } from '../../src/server/observer.js'
import { OrySessionGate, type SessionGateOptions } from '../../src/session/gate.js'
import { generateSigningKey } from '../../src/session/keys.js'
import { startJwtApp, type AppView, type JwtApp } from './jwt-app.js'
import { startFakeOry, type FakeOry } from './ory.js'
import { startTestProxy, type TestProxy } from './proxy.js'

export interface SessionSetup {
  readonly app: JwtApp
  readonly ory: FakeOry
  readonly proxy: TestProxy
  readonly gate: OrySessionGate
  /** The `iss` the proxy signs with. */
  readonly issuer: string
}

/**
 * A verifying app, a fake Ory and the proxy with a real session gate between them, all on
 * 127.0.0.1:0 and closed after the test. `options` override the gate's defaults; `oryUrl` points
 * the proxy at another Ory (e.g. a closed port). The cache TTL is a minute unless a test sets its
 * own, so a loaded machine cannot expire entries in the middle of a test that counts whoami calls.
 */
export async function startSessionProxy(
  t: TestContext,
  options: Partial<Omit<SessionGateOptions, 'logger'>> & { logger?: Logger; oryUrl?: string; observer?: ProxyObserver } = {},
): Promise<SessionSetup> {
  const app = await startJwtApp(t)
  const ory = await startFakeOry(t)
  const oryUrl = options.oryUrl ?? ory.url
  const upstream = parseUpstream(oryUrl, 'ory')
  const { observer, ...gateOptions } = options
  const gate = new OrySessionGate(upstream, { key: generateSigningKey(), logger: silentLogger, cacheTtlMs: 60_000, ...gateOptions })
  const proxy = await startTestProxy(t, app.url, oryUrl, {}, { gate, observer })
  const issuer = upstream.origin + upstream.pathPrefix
  app.useProxy(proxy.url, issuer)
  return { app, ory, proxy, gate, issuer }
}

/** GET `path` through the proxy with `headers`; the app's view of it (or the proxy's own answer). */
export async function viewThrough(
  proxy: TestProxy,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; view: AppView | undefined; headers: Record<string, string | string[] | undefined>; text: string }> {
  const response = await request(proxy.url + path, { headers })
  const text = await response.body.text()
  const fromApp = text.startsWith('{') && text.includes('"authorization":')
  return {
    status: response.statusCode,
    view: fromApp ? (JSON.parse(text) as AppView) : undefined,
    headers: response.headers,
    text,
  }
}
