import type { TestContext } from 'node:test'
import { request } from 'undici'
import { isProxyError } from '../../src/errors.js'
import type { ProxyOptions } from '../../src/config.js'
import {
  startIdentityServer,
  type IdentityServerHandle,
  type IdentityServerOptions,
} from '../../src/identity/server.js'
import type { ProxyDeps } from '../../src/server/proxy.js'
import { startTestProxy, type TestProxy } from './proxy.js'
import { freePort, startUpstream, type Upstream } from './upstream.js'

/** Starts the identity server on 127.0.0.1:0, closed after the test. */
export async function startTestIdentity(t: TestContext, options: IdentityServerOptions = {}): Promise<IdentityServerHandle> {
  const server = await startIdentityServer({ port: 0, adminPort: 0, ...options })
  t.after(() => server.close())
  return server
}

/** A clock tests move forward instead of sleeping. */
export function testClock(start = Date.UTC(2026, 0, 1)): { now: () => number; advance(ms: number): void } {
  let now = start
  return { now: () => now, advance: (ms) => void (now += ms) }
}

/**
 * The cookies a browser would keep for one site: stores Set-Cookie values (a `Max-Age=0` or past
 * `Expires` deletes), and sends them back as one Cookie header. Node's fetch has no jar.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const attribute = (name: string) =>
        attributes.map((a) => a.split('=').map((part) => part.trim())).find(([key]) => key?.toLowerCase() === name)?.[1]
      // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
      const maxAge = attribute('max-age')
      const expires = attribute('expires')
      const expired = maxAge !== undefined ? Number(maxAge) <= 0 : expires !== undefined && Date.parse(expires) <= Date.now()
      if (expired) this.#cookies.delete(name)
      else this.#cookies.set(name, pair.slice(eq + 1).trim())
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name)
  }

  names(): string[] {
    return [...this.#cookies.keys()]
  }

  /** The Cookie header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /** `fetch` that sends and keeps this jar's cookies and never follows redirects. */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    const cookie = this.header()
    if (cookie !== undefined) headers.set('cookie', cookie)
    const response = await fetch(input, { ...init, headers, redirect: 'manual' })
    this.store(response.headers.getSetCookie())
    return response
  }
}

export interface ProxiedIdentity {
  readonly identity: IdentityServerHandle
  readonly app: Upstream
  readonly proxy: TestProxy
  /** The publish-url, which is also where the proxy listens: `http://127.0.0.1:<port>`. */
  readonly publish: string
}

/**
 * Starts the proxy in front of `appUrl` and `oryUrl` with a publish-url that is the address it
 * listens on, so every URL the proxy rewrites is one a test client can follow.
 */
export async function startPublishedProxy(
  t: TestContext,
  appUrl: string,
  oryUrl: string,
  options: Partial<ProxyOptions> = {},
  deps: ProxyDeps = {},
): Promise<{ proxy: TestProxy; publish: string }> {
  // The publish-url must name the port before the proxy listens; retry if another process takes it.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const publish = `http://127.0.0.1:${port}`
    try {
      const proxy = await startTestProxy(t, appUrl, oryUrl, { port, publishUrl: publish, ...options }, deps)
      return { proxy, publish }
    } catch (error) {
      if (!isProxyError(error) || error.code !== 'ERR_LISTEN' || attempt === 5) throw error
    }
  }
}

/**
 * What `ory-proxy start <app>` runs without an Ory endpoint: the identity server behind the proxy
 * at `/.ory`, with a real app behind it.
 */
export async function startProxiedIdentity(
  t: TestContext,
  options: { readonly identity?: IdentityServerOptions; readonly proxy?: Partial<ProxyOptions> } = {},
): Promise<ProxiedIdentity> {
  const identity = await startTestIdentity(t, options.identity)
  const app = await startUpstream(t)
  const { proxy, publish } = await startPublishedProxy(t, app.url, identity.url, options.proxy)
  return { identity, app, proxy, publish }
}

export interface UiTextJson {
  readonly id: number
  readonly text: string
  readonly type: string
  readonly context?: Record<string, unknown>
}

export interface FlowJsonForTests {
  readonly id: string
  readonly type: string
  readonly state: string
  readonly return_to?: string
  readonly ui: {
    readonly action: string
    readonly method: string
    readonly messages?: UiTextJson[]
    readonly nodes: Array<{
      readonly group: string
      readonly attributes: { readonly name: string; readonly type: string; readonly value?: string }
      readonly messages: UiTextJson[]
    }>
  }
}

export type FlowKindForTests = 'login' | 'registration' | 'settings' | 'recovery' | 'verification'

/** Starts a flow as an SPA does (`Accept: application/json`), keeping the anti-CSRF cookie in `jar`. */
export async function openFlow(
  jar: CookieJar,
  origin: string,
  kind: FlowKindForTests,
  type: 'browser' | 'api' = 'browser',
  query = '',
): Promise<FlowJsonForTests> {
  const response = await jar.fetch(`${origin}/self-service/${kind}/${type}${query}`, { headers: { accept: 'application/json' } })
  if (response.status !== 200) throw new Error(`starting the ${kind} flow: ${response.status} ${await response.text()}`)
  return (await response.json()) as FlowJsonForTests
}

/** A node of the flow by name. */
export function nodeOf(flow: FlowJsonForTests, name: string) {
  const node = flow.ui.nodes.find((n) => n.attributes.name === name)
  if (node === undefined) throw new Error(`flow ${flow.id} has no node ${name}`)
  return node
}

export function csrfOf(flow: FlowJsonForTests): string {
  return nodeOf(flow, 'csrf_token').attributes.value ?? ''
}

/** Submits a flow as JSON, the way Ory's SDKs do. */
export function submitJson(jar: CookieJar, flow: FlowJsonForTests, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return jar.fetch(flow.ui.action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** Submits a flow as a browser form post (urlencoded, an HTML Accept header). */
export function submitForm(jar: CookieJar, flow: FlowJsonForTests, fields: Record<string, string>) {
  return jar.fetch(flow.ui.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    body: new URLSearchParams(fields).toString(),
  })
}

/** Registers `email` through a browser flow (JSON) and returns the jar holding the session cookie. */
export async function registerUser(origin: string, email: string, password: string, jar = new CookieJar()): Promise<CookieJar> {
  const flow = await openFlow(jar, origin, 'registration')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email }, password })
  if (response.status !== 200) throw new Error(`registering ${email}: ${response.status} ${await response.text()}`)
  return jar
}

/** Follows 303s like a browser navigation (GET, cookies kept), at most `limit` hops; `visited` lists every URL. */
export async function navigate(jar: CookieJar, url: string, limit = 6): Promise<{ response: Response; url: string; visited: string[] }> {
  const visited = [url]
  for (let hop = 0; hop <= limit; hop++) {
    const response = await jar.fetch(visited.at(-1)!, { headers: { accept: 'text/html' } })
    const location = response.headers.get('location')
    if (response.status !== 303 || location === null) return { response, url: visited.at(-1)!, visited }
    visited.push(new URL(location, visited.at(-1)).href)
  }
  throw new Error(`more than ${limit} redirects from ${url}`)
}

/** The hidden inputs of a rendered page (the CSRF token), by name. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!
  return fields
}

/** The action of a rendered page's form. */
export function formAction(html: string): string {
  const action = /<form action="([^"]+)" method="POST">/.exec(html)?.[1]
  if (action === undefined) throw new Error('the page has no form')
  return action.replaceAll('&#38;', '&')
}

/** Starts an API flow as a native app does: no cookies, no Origin (undici's request adds neither). */
export async function openApiFlow(origin: string, kind: FlowKindForTests): Promise<FlowJsonForTests> {
  const response = await request(`${origin}/self-service/${kind}/api`)
  if (response.statusCode !== 200) throw new Error(`starting the ${kind} API flow: ${response.statusCode} ${await response.body.text()}`)
  return (await response.body.json()) as FlowJsonForTests
}

/** Submits an API flow's JSON body as a native app does. */
export function submitApi(flow: FlowJsonForTests, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(flow.ui.action, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

/** The newest code the outbox holds for `recipient`, read through Kratos' admin API as a test would from Ory. */
export async function latestCode(identity: Pick<IdentityServerHandle, 'adminUrl' | 'adminToken'>, recipient: string): Promise<string> {
  const response = await fetch(`${identity.adminUrl}/admin/courier/messages?recipient=${encodeURIComponent(recipient)}`, {
    headers: { authorization: `Bearer ${identity.adminToken}` },
  })
  const messages = (await response.json()) as Array<{ body: string }>
  const code = /\b(\d{6})\b/.exec(messages[0]?.body ?? '')?.[1]
  if (code === undefined) throw new Error(`no code for ${recipient}: ${JSON.stringify(messages)}`)
  return code
}
