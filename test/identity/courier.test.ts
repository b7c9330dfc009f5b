import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { csrfOf, latestCode, openFlow, registerUser, startProxiedIdentity, submitJson, CookieJar } from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

interface Message {
  readonly id: string
  readonly status: string
  readonly type: string
  readonly recipient: string
  readonly subject: string
  readonly body: string
  readonly template_type: string
  readonly send_count: number
}

test("the courier's admin list: Kratos' message shape, newest first, by recipient, in pages with a Link header", async (t) => {
  const { identity } = await startProxiedIdentity(t, { identity: { adminToken: 'admin-secret' } })
  for (const email of ['one@example.org', 'two@example.org', 'three@example.org']) await registerUser(identity.url, email, PASSWORD)
  const list = (query = '') => request(`${identity.adminUrl}/admin/courier/messages${query}`, { headers: { authorization: 'Bearer admin-secret' } })
  const all = await list()
  assert.equal(all.statusCode, 200)
  const messages = (await all.body.json()) as Message[]
  assert.deepEqual(messages.map((m) => m.recipient), ['three@example.org', 'two@example.org', 'one@example.org'])
  const [newest] = messages
  assert.equal(newest?.status, 'sent')
  assert.equal(newest?.type, 'email')
  assert.equal(newest?.template_type, 'verification_code_valid')
  assert.equal(newest?.subject, 'Please verify your email address')
  assert.equal(newest?.send_count, 1)
  assert.match(newest!.body, /please verify your account by entering the following code:\n\n\d{6}\n/)

  const one = (await (await list('?recipient=one%40example.org')).body.json()) as Message[]
  assert.deepEqual(one.map((m) => m.recipient), ['one@example.org'])
  assert.deepEqual(await (await list('?status=queued')).body.json(), [])
  const page = await list('?page_size=2')
  assert.equal(((await page.body.json()) as Message[]).length, 2)
  const next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link))?.[1]
  assert.ok(next, String(page.headers.link))
  const rest = (await (await request(`${identity.adminUrl}${next}`, { headers: { authorization: 'Bearer admin-secret' } })).body.json()) as Message[]
  assert.deepEqual(rest.map((m) => m.recipient), ['one@example.org'])
  assert.equal((await list('?page_size=0')).statusCode, 400)
  const byId = await request(`${identity.adminUrl}/admin/courier/messages/${newest!.id}`, { headers: { authorization: 'Bearer admin-secret' } })
  assert.equal(((await byId.body.json()) as Message).recipient, 'three@example.org')
})

test('the admin listener: no token or a wrong one is 401; its paths are 404 on the public port and through the proxy', async (t) => {
  const { identity, publish } = await startProxiedIdentity(t, { identity: { adminToken: 'admin-secret' } })
  await registerUser(`${publish}/.ory`, 'private@example.org', PASSWORD)
  const path = '/admin/courier/messages'
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic ' + Buffer.from('x:wrong').toString('base64') }, { authorization: 'admin-secret' }]) {
    const response = await request(`${identity.adminUrl}${path}`, { headers: { accept: 'application/json', ...headers } })
    assert.equal(response.statusCode, 401, JSON.stringify(headers))
    assert.equal(((await response.body.json()) as { error: { code: number } }).error.code, 401)
  }
  assert.equal((await request(`${identity.adminUrl}/admin/sessions/00000000-0000-4000-8000-000000000000`, { method: 'DELETE' })).statusCode, 401)
  for (const url of [`${identity.url}${path}`, `${publish}/.ory${path}`, `${publish}/.ory/courier`, `${identity.url}/courier`]) {
    const response = await request(url, { headers: { authorization: 'Bearer admin-secret' } })
    assert.equal(response.statusCode, 404, url)
    const text = await response.body.text()
    assert.ok(!text.includes('private@example.org'), url)
  }
  assert.equal((await request(`${identity.adminUrl}/health/ready`)).statusCode, 200, 'health needs no token')
})

test('the outbox page lists recent messages with their codes, behind the admin token (a browser is asked for it)', async (t) => {
  const { identity, publish } = await startProxiedIdentity(t, { identity: { adminToken: 'admin-secret' } })
  const jar = new CookieJar()
  const flow = await openFlow(jar, `${publish}/.ory`, 'registration')
  await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'page@example.org' }, password: PASSWORD })
  const challenge = await fetch(`${identity.adminUrl}/courier`, { headers: { accept: 'text/html' } })
  assert.equal(challenge.status, 401)
  assert.match(challenge.headers.get('www-authenticate')!, /^Basic realm=/)
  const page = await fetch(`${identity.adminUrl}/courier`, { headers: { authorization: `Basic ${Buffer.from('me:admin-secret').toString('base64')}` } })
  assert.equal(page.status, 200)
  const html = await page.text()
  assert.match(html, /Please verify your email address<\/strong> to <span class="recipient">page@example\.org<\/span>/)
  assert.ok(html.includes(await latestCode(identity, 'page@example.org')))
})
