import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  CookieJar,
  csrfOf,
  formAction,
  hiddenFields,
  navigate,
  openFlow,
  startProxiedIdentity,
  submitJson,
} from '../helpers/identity.js'
import { raw } from '../helpers/raw.js'

const PASSWORD = 'correct horse battery'

/** Posts a rendered page's form with the given fields, as a browser does. */
function postPage(jar: CookieJar, html: string, fields: Record<string, string>) {
  return jar.fetch(formAction(html), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ ...hiddenFields(html), ...fields, method: 'password' }).toString(),
  })
}

test('signing up at <publish>/.ory/ui/registration: every URL stays on the publish-url, cookies are host-only, the app is where it ends', async (t) => {
  const { identity, app, publish } = await startProxiedIdentity(t)
  const jar = new CookieJar()
  const page = await navigate(jar, `${publish}/.ory/ui/registration`)
  assert.equal(page.response.status, 200)
  for (const url of page.visited) assert.ok(url.startsWith(`${publish}/.ory/`), url)
  const html = await page.response.text()
  assert.ok(!html.includes(identity.url), 'the page names only the publish-url')
  assert.ok(formAction(html).startsWith(`${publish}/.ory/self-service/registration?flow=`))

  const done = await postPage(jar, html, { 'traits.email': 'proxied@example.org', password: PASSWORD })
  assert.equal(done.status, 303)
  // Ory's /ui/welcome becomes --default-redirect-url, which defaults to the publish-url: the app.
  assert.equal(done.headers.get('location'), publish)
  const session = done.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='))!
  assert.ok(!/domain=/i.test(session), `host-only: ${session}`)
  assert.match(session, /; SameSite=Lax$/)

  const home = await jar.fetch(`${publish}/`)
  assert.equal(home.status, 200)
  assert.equal(app.requests.at(-1)?.url, '/')
  const whoami = await jar.fetch(`${publish}/.ory/sessions/whoami`)
  assert.equal(((await whoami.json()) as { identity: { traits: { email: string } } }).identity.traits.email, 'proxied@example.org')
})

test('--default-redirect-url is where sign-in lands; return_to on the publish-url is allowed, elsewhere refused', async (t) => {
  const { publish } = await startProxiedIdentity(t, { proxy: { defaultRedirectUrl: '/dashboard' } })
  const jar = new CookieJar()
  const signUp = await navigate(jar, `${publish}/.ory/ui/registration`)
  const done = await postPage(jar, await signUp.response.text(), { 'traits.email': 'redirect@example.org', password: PASSWORD })
  assert.equal(done.headers.get('location'), '/dashboard')

  const stranger = new CookieJar()
  const target = `${publish}/after-login?tab=2`
  const flow = await openFlow(stranger, `${publish}/.ory`, 'login', 'browser', `?return_to=${encodeURIComponent(target)}`)
  assert.equal(flow.return_to, target, 'the proxy vouches for its publish-url (Ory-Base-URL-Rewrite)')
  const login = await stranger.fetch(flow.ui.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrfOf(flow), identifier: 'redirect@example.org', password: PASSWORD, method: 'password' }).toString(),
  })
  assert.equal(login.headers.get('location'), target)

  const refused = await fetch(`${publish}/.ory/self-service/login/browser?return_to=${encodeURIComponent('http://localhost:1/')}`, {
    headers: { accept: 'application/json' },
  })
  assert.equal(refused.status, 400)
})

test('a client cannot widen return_to by sending its own Ory-Base-URL-Rewrite through the proxy', async (t) => {
  const { publish } = await startProxiedIdentity(t)
  const response = await fetch(`${publish}/.ory/self-service/login/browser?return_to=${encodeURIComponent('https://evil.example/')}`, {
    headers: { accept: 'application/json', 'ory-base-url-rewrite': 'https://evil.example/.ory' },
  })
  assert.equal(response.status, 400)
  assert.equal(((await response.json()) as { error: { id: string } }).error.id, 'self_service_flow_return_to_forbidden')
})

test('--cookie-domain puts its Domain on the identity server cookies, and JSON sign-up works as before', async (t) => {
  const { publish } = await startProxiedIdentity(t, { proxy: { cookieDomain: 'example.test' } })
  const jar = new CookieJar()
  const flow = await openFlow(jar, `${publish}/.ory`, 'registration')
  const response = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'domain@example.org' }, password: PASSWORD })
  assert.equal(response.status, 200)
  const session = response.headers.getSetCookie().find((c) => c.startsWith('ory_kratos_session='))!
  assert.match(session, /; Domain=example\.test; SameSite=Lax$/)
  assert.ok(!session.includes('127.0.0.1'))
})

test('a target only the URL parser chokes on (/.ory/\\[) is answered 400 and takes nothing down', async (t) => {
  const { publish, proxy } = await startProxiedIdentity(t)
  const answer = await raw(proxy.port, 'GET /.ory/\\[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
  assert.deepEqual(answer.statuses, [400])
  assert.equal((await fetch(`${publish}/.ory/health/ready`)).status, 200)
})
