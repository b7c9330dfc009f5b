import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar, hiddenFields, navigate, registerUser, startTestIdentity, testClock } from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

test('/ui/registration without a flow starts one, and the page is a working sign-up form', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const { response, url } = await navigate(jar, `${identity.url}/ui/registration`)
  assert.equal(response.status, 200)
  assert.match(url, new RegExp(`^${identity.url}/ui/registration\\?flow=`))
  assert.match(response.headers.get('content-type')!, /^text\/html/)
  assert.match(response.headers.get('content-security-policy')!, /default-src 'none'/)
  assert.match(response.headers.get('content-security-policy')!, /frame-ancestors 'none'/)
  const html = await response.text()
  const action = /<form action="([^"]+)" method="POST">/.exec(html)?.[1]
  assert.equal(action, `${identity.url}/self-service/registration?flow=${new URL(url).searchParams.get('flow')}`)
  assert.match(html, /<label for="field-traits-email">E-Mail<\/label>/)
  assert.match(html, /<input id="field-password" type="password" name="password" autocomplete="new-password" required>/)
  assert.match(html, /<button type="submit" name="method" value="password">Sign up<\/button>/)
  assert.match(html, new RegExp(`href="${identity.url}/self-service/login/browser"`))

  const post = await jar.fetch(action!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hiddenFields(html), 'traits.email': 'page@example.org', password: PASSWORD, method: 'password' }).toString(),
  })
  assert.equal(post.status, 303)
  const welcome = await navigate(jar, post.headers.get('location')!)
  assert.match(await welcome.response.text(), /Signed in as <strong id="email">page@example.org<\/strong>/)
})

test('/ui/login with an unknown or expired flow starts a fresh one (keeping return_to)', async (t) => {
  const clock = testClock()
  const identity = await startTestIdentity(t, { now: clock.now })
  const jar = new CookieJar()
  const unknown = await jar.fetch(`${identity.url}/ui/login?flow=00000000-0000-4000-8000-000000000000`)
  assert.equal(unknown.status, 303)
  assert.equal(unknown.headers.get('location'), `${identity.url}/self-service/login/browser`)

  const target = `${identity.url}/after`
  const { url } = await navigate(jar, `${identity.url}/self-service/login/browser?return_to=${encodeURIComponent(target)}`)
  clock.advance(90 * 60 * 1000)
  const expired = await jar.fetch(url)
  assert.equal(expired.status, 303)
  assert.equal(expired.headers.get('location'), `${identity.url}/self-service/login/browser?return_to=${encodeURIComponent(target)}`)
})

test('what a person typed is escaped in the page, never markup', async (t) => {
  const identity = await startTestIdentity(t)
  const jar = new CookieJar()
  const { response } = await navigate(jar, `${identity.url}/ui/registration`)
  const html = await response.text()
  const action = /<form action="([^"]+)"/.exec(html)![1]!
  const post = await jar.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hiddenFields(html), 'traits.email': '"><script>alert(1)</script>', password: PASSWORD, method: 'password' }).toString(),
  })
  const page = await (await navigate(jar, post.headers.get('location')!)).response.text()
  assert.ok(!page.includes('<script>alert(1)</script>'))
  assert.match(page, /value="&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;"/)
})

test('the welcome page shows who is signed in with a working sign-out link, or where to sign in', async (t) => {
  const identity = await startTestIdentity(t)
  const anonymous = await (await fetch(`${identity.url}/ui/welcome`)).text()
  assert.match(anonymous, /You are not signed in/)
  assert.match(anonymous, new RegExp(`href="${identity.url}/self-service/registration/browser"`))

  const jar = await registerUser(identity.url, 'welcome@example.org', PASSWORD)
  const page = await (await jar.fetch(`${identity.url}/ui/welcome`)).text()
  assert.match(page, /welcome@example.org/)
  const logout = /<a id="logout" href="([^"]+)">/.exec(page)![1]!.replaceAll('&#38;', '&')
  assert.equal((await jar.fetch(logout)).status, 303)
  assert.equal((await jar.fetch(`${identity.url}/sessions/whoami`)).status, 401)
})

test('error reports: /ui/error answers with the error status, /self-service/errors with the JSON, unknown ids 404', async (t) => {
  const identity = await startTestIdentity(t)
  const refused = await fetch(`${identity.url}/self-service/login/browser?return_to=https%3A%2F%2Fevil.example`, { redirect: 'manual' })
  const location = new URL(refused.headers.get('location')!)
  const id = location.searchParams.get('id')
  const page = await fetch(location)
  assert.equal(page.status, 400)
  assert.match(await page.text(), /Requested return_to URL &#34;https:\/\/evil.example&#34; is not allowed/)
  const report = await fetch(`${identity.url}/self-service/errors?id=${id}`)
  assert.equal(report.status, 200)
  const body = (await report.json()) as { id: string; error: { id: string; code: number } }
  assert.equal(body.id, id)
  assert.deepEqual([body.error.id, body.error.code], ['self_service_flow_return_to_forbidden', 400])
  assert.equal((await fetch(`${identity.url}/self-service/errors?id=nope`)).status, 404)
  assert.equal((await fetch(`${identity.url}/ui/error?id=nope`)).status, 404)
})
