import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { after, before, test, type TestContext } from 'node:test'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { launchChromium } from '../helpers/browser.js'
import { latestCode, startProxiedIdentity, startTestIdentity } from '../helpers/identity.js'
import { startTestProxy } from '../helpers/proxy.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const PASSWORD = 'correct horse battery'
/** `*.example.test` resolves to this machine inside the browser only, so a publish-url can be a real-looking name. */
const SITE = 'example.test'

let browser: Browser
before(async () => {
  browser = await launchChromium([`--host-resolver-rules=MAP *.${SITE} 127.0.0.1`])
})
after(() => browser?.close())

async function newPage(t: TestContext, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options)
  t.after(() => context.close())
  context.setDefaultTimeout(15_000)
  return { context, page: await context.newPage() }
}

/** An app that answers every page with a marker, so landing on it is visible. */
function appPage(_req: unknown, res: ServerResponse): void {
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end('<!doctype html><title>The app</title><h1 id="app">Hello from the app</h1>')
}

async function signUp(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url)
  await page.fill('input[name="traits.email"]', email)
  await page.fill('input[name="password"]', PASSWORD)
  await Promise.all([page.waitForURL((u) => !u.pathname.includes('/ui/registration')), page.click('button[value="password"]')])
}

/** whoami as the browser sees it: the status, and the email when signed in. */
async function whoami(page: Page, url: string): Promise<{ status: number; email?: string }> {
  const response = await page.goto(url)
  assert.ok(response)
  if (response.status() !== 200) return { status: response.status() }
  const body = (await response.json()) as { identity: { traits: { email: string } } }
  return { status: 200, email: body.identity.traits.email }
}

/** Clicks "Sign out" on the welcome page and waits until the browser has landed on `landing`. */
async function logOut(page: Page, welcome: string, landing: string): Promise<void> {
  await page.goto(welcome)
  const landed = page.waitForResponse((response) => response.url() === landing && response.request().isNavigationRequest())
  await Promise.all([landed, page.click('#logout')])
}

test('through the proxy, a person signs up at /.ory/ui/registration, lands on the app, is known to whoami, logs out', async (t) => {
  const { app, publish } = await startProxiedIdentity(t)
  app.respond(appPage)
  const { page } = await newPage(t)
  await signUp(page, `${publish}/.ory/ui/registration`, 'person@example.org')
  assert.equal(page.url(), `${publish}/`)
  assert.equal(await page.textContent('#app'), 'Hello from the app')
  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 200, email: 'person@example.org' })
  await logOut(page, `${publish}/.ory/ui/welcome`, `${publish}/`)
  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 401 })
})

test('with --cookie-domain and a publish-url other than the listen address, the browser stays on the publish-url and the session spans subdomains', async (t) => {
  const identity = await startTestIdentity(t)
  const app = await startUpstream(t, appPage)
  const port = await freePort()
  // The proxy listens on 127.0.0.1; the browser only ever uses the published name.
  const publish = `http://app.${SITE}:${port}`
  await startTestProxy(t, app.url, identity.url, { port, publishUrl: publish, cookieDomain: SITE })
  const { context, page } = await newPage(t)
  const hosts = new Set<string>()
  page.on('request', (request) => hosts.add(new URL(request.url()).host))

  await signUp(page, `${publish}/.ory/ui/registration`, 'wide@example.org')
  assert.equal(page.url(), `${publish}/`)
  assert.deepEqual([...hosts], [`app.${SITE}:${port}`], 'no redirect or form left the publish-url')
  const session = (await context.cookies()).find((cookie) => cookie.name === 'ory_kratos_session')
  assert.equal(session?.domain, `.${SITE}`)

  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 200, email: 'wide@example.org' })
  const sibling = `http://api.${SITE}:${port}/.ory/sessions/whoami`
  assert.deepEqual(await whoami(page, sibling), { status: 200, email: 'wide@example.org' }, 'the cookie reaches sibling subdomains')

  await logOut(page, `${publish}/.ory/ui/welcome`, `${publish}/`)
  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 401 })
  assert.deepEqual(await whoami(page, sibling), { status: 401 })
})

test('over --https, the same sign-up, whoami and logout work through the proxy on HTTP/2', async (t) => {
  const identity = await startTestIdentity(t)
  const app = await startUpstream(t, appPage)
  const port = await freePort()
  const publish = `https://localhost:${port}`
  await startTestProxy(t, app.url, identity.url, { port, publishUrl: publish, tls: createDevCertificate() })
  // The self-signed development certificate, accepted as --ignore-certificate-errors would.
  const { context, page } = await newPage(t, { ignoreHTTPSErrors: true })
  await signUp(page, `${publish}/.ory/ui/registration`, 'secure@example.org')
  assert.equal(page.url(), `${publish}/`)
  assert.equal(await page.evaluate('performance.getEntries()[0].nextHopProtocol'), 'h2')
  const session = (await context.cookies()).find((cookie) => cookie.name === 'ory_kratos_session')
  assert.equal(session?.secure, true)
  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 200, email: 'secure@example.org' })
  await logOut(page, `${publish}/.ory/ui/welcome`, `${publish}/`)
  assert.deepEqual(await whoami(page, `${publish}/.ory/sessions/whoami`), { status: 401 })
})

test('standalone, a person signs up and logs out at the identity server itself (its Domain=127.0.0.1 cookies work)', async (t) => {
  const identity = await startTestIdentity(t)
  const { page } = await newPage(t)
  await signUp(page, `${identity.url}/ui/registration`, 'alone@example.org')
  assert.equal(page.url(), `${identity.url}/ui/welcome`)
  assert.equal(await page.textContent('#email'), 'alone@example.org')
  await logOut(page, `${identity.url}/ui/welcome`, `${identity.url}/ui/welcome`)
  assert.deepEqual(await whoami(page, `${identity.url}/sessions/whoami`), { status: 401 })
})

test('through the proxy, a person changes the password on the settings page, then recovers the account by code and sets another', async (t) => {
  const { app, identity, publish } = await startProxiedIdentity(t)
  app.respond(appPage)
  const { page } = await newPage(t)
  const ory = `${publish}/.ory`
  await signUp(page, `${ory}/ui/registration`, 'forgetful@example.org')

  // Settings: the page's password form, in the privileged window right after sign-up.
  await page.goto(`${ory}/self-service/settings/browser`)
  assert.ok(page.url().startsWith(`${ory}/ui/settings?flow=`), page.url())
  await page.fill('input[name="password"]', 'changed on the page')
  await Promise.all([page.waitForURL((u) => u.pathname === '/.ory/ui/settings' && u.search.includes('flow=')), page.click('button[name="method"][value="password"]')])
  assert.equal(await page.getAttribute('[data-message-id="1050001"]', 'class'), 'info')
  await logOut(page, `${ory}/ui/welcome`, `${publish}/`)

  // Recovery: from the login page's link, the email, the code from the courier, then settings.
  await page.goto(`${ory}/ui/login`)
  await Promise.all([page.waitForURL((u) => u.pathname === '/.ory/ui/recovery'), page.click('text=Forgot your password?')])
  await page.fill('input[name="email"]', 'forgetful@example.org')
  await Promise.all([page.waitForSelector('input[name="code"]'), page.click('button[name="method"]')])
  await page.fill('input[name="code"]', await latestCode(identity, 'forgetful@example.org'))
  await Promise.all([page.waitForURL((u) => u.pathname === '/.ory/ui/settings'), page.click('button[name="method"][value="code"]')])
  assert.ok(await page.isVisible('[data-message-id="1060001"]'))
  await page.fill('input[name="password"]', 'recovered on the page')
  await Promise.all([page.waitForSelector('[data-message-id="1050001"]'), page.click('button[name="method"][value="password"]')])
  const session = (await (await page.goto(`${ory}/sessions/whoami`))!.json()) as { authentication_methods: Array<{ method: string }> }
  assert.equal(session.authentication_methods[0]?.method, 'code_recovery')

  // The new password is the one that works.
  await logOut(page, `${ory}/ui/welcome`, `${publish}/`)
  await page.goto(`${ory}/ui/login`)
  await page.fill('input[name="identifier"]', 'forgetful@example.org')
  await page.fill('input[name="password"]', 'recovered on the page')
  await Promise.all([page.waitForURL(`${publish}/`), page.click('button[value="password"]')])
  assert.equal(await page.textContent('#app'), 'Hello from the app')
})
