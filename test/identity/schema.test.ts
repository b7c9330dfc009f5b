import assert from 'node:assert/strict'
import { test } from 'node:test'
import { IdentitySchema } from '../../src/identity/schema.js'
import {
  CookieJar,
  csrfOf,
  hiddenFields,
  navigate,
  nodeOf,
  openFlow,
  startProxiedIdentity,
  startTestIdentity,
  submitJson,
  type FlowJsonForTests,
} from '../helpers/identity.js'

const PASSWORD = 'correct horse battery'

/** An app's own schema: a username identifier, nested names, a tenant enum, a newsletter flag, a bounded age, a website. */
const APP_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          title: 'Work email',
          'ory.sh/kratos': { credentials: { password: { identifier: true } }, verification: { via: 'email' }, recovery: { via: 'email' } },
        },
        username: { type: 'string', minLength: 3, maxLength: 12, pattern: '^[a-z0-9]+$', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } },
        name: {
          type: 'object',
          properties: { first: { type: 'string', title: 'First name' }, last: { type: 'string', title: 'Last name' } },
          required: ['first'],
        },
        tenant: { type: 'string', enum: ['acme', 'globex'] },
        newsletter: { type: 'boolean', title: 'Newsletter' },
        age: { type: 'integer', minimum: 18, maximum: 130 },
        website: { type: 'string', format: 'uri' },
      },
      required: ['email', 'username', 'name', 'tenant'],
      additionalProperties: false,
    },
  },
}

const schema = () => IdentitySchema.compile(APP_SCHEMA, 'app.schema.json')

test('a custom schema validates traits with Kratos message ids and texts, on the fields', () => {
  const check = (traits: unknown) => schema().validateTraits(traits)
  assert.deepEqual(check({ email: 'a@example.org', username: 'alice', name: { first: 'A' }, tenant: 'acme' }), {})
  const problems = check({ email: 'not-mail', username: 'Al', name: {}, tenant: 'initech', newsletter: 'yes', age: 12, website: 'nope', extra: 1 })
  const ids = Object.fromEntries(Object.entries(problems).map(([name, list]) => [name, list.map((m) => [m.id, m.text])]))
  assert.deepEqual(ids, {
    'traits.email': [[4000001, '"not-mail" is not valid "email"']],
    'traits.username': [
      [4000003, 'length must be >= 3, but got 2'],
      [4000004, 'does not match pattern "^[a-z0-9]+$"'],
    ],
    'traits.name.first': [[4000002, 'Property first is missing.']],
    'traits.tenant': [[4000001, 'value must be one of "acme", "globex"']],
    'traits.newsletter': [[4000026, 'expected boolean, but got string']],
    'traits.age': [[4000018, 'must be >= 18 but found 12']],
    'traits.website': [[4000001, '"nope" is not valid "uri"']],
    traits: [[4000001, 'additionalProperties "extra" not allowed']],
  })
  assert.deepEqual(check({ email: 'a@example.org', username: 'abcdefghijklmn', name: { first: 'A' }, tenant: 'acme', age: 200 })['traits.age']?.[0]?.id, 4000020)
  assert.equal(check({ email: 'a@example.org', username: 'abcdefghijklmn', name: { first: 'A' }, tenant: 'acme' })['traits.username']?.[0]?.id, 4000017)
  assert.deepEqual(schema().addressesOf({ email: ' A@Example.org ', username: 'alice' }), {
    identifiers: ['a@example.org', 'alice'],
    verifiable: ['a@example.org'],
    recovery: ['a@example.org'],
  })
})

test('registration with a custom schema: JSON and form posts (nested fields, booleans, numbers), errors per field, either identifier logs in', async (t) => {
  const identity = await startTestIdentity(t, { schema: schema() })
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  assert.deepEqual(
    flow.ui.nodes.map((n) => [n.attributes.name, n.attributes.type]),
    [
      ['csrf_token', 'hidden'],
      ['traits.email', 'email'],
      ['traits.username', 'text'],
      ['traits.name.first', 'text'],
      ['traits.name.last', 'text'],
      ['traits.tenant', 'text'],
      ['traits.newsletter', 'checkbox'],
      ['traits.age', 'number'],
      ['traits.website', 'url'],
      ['password', 'password'],
      ['method', 'submit'],
    ],
  )
  assert.deepEqual((nodeOf(flow, 'traits.tenant').attributes as { options?: unknown }).options, [{ value: 'acme' }, { value: 'globex' }])
  const bad = await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits: { email: 'x@example.org', username: 'xx', name: { last: 'L' }, tenant: 'acme' }, password: PASSWORD })
  assert.equal(bad.status, 400)
  const failed = (await bad.json()) as FlowJsonForTests
  assert.equal(nodeOf(failed, 'traits.username').messages[0]?.id, 4000003)
  assert.equal(nodeOf(failed, 'traits.name.first').messages[0]?.text, 'Property first is missing.')
  assert.equal(nodeOf(failed, 'traits.name.last').attributes.value, 'L', 'what was typed comes back')

  // A browser form: one field per trait, strings that become the schema's types.
  const page = await navigate(jar, `${identity.url}/ui/registration`)
  const html = await page.response.text()
  assert.match(html, /<select id="field-traits-tenant" name="traits.tenant" required><option value=""><\/option><option value="acme">acme<\/option>/)
  assert.match(html, /<input id="field-traits-newsletter" type="checkbox" name="traits.newsletter" value="true"/)
  assert.match(html, /<label for="field-traits-name-first">First name<\/label>/)
  const action = /<form action="([^"]+)"/.exec(html)![1]!.replaceAll('&#38;', '&')
  const fields = {
    ...hiddenFields(html),
    method: 'password',
    password: PASSWORD,
    'traits.email': 'Form@Example.org',
    'traits.username': 'former',
    'traits.name.first': 'Fo',
    'traits.name.last': '',
    'traits.tenant': 'globex',
    'traits.newsletter': 'true',
    'traits.age': '42',
    'traits.website': '',
  }
  const posted = await jar.fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })
  assert.equal(posted.status, 303)
  const whoami = (await (await jar.fetch(`${identity.url}/sessions/whoami`)).json()) as { identity: { traits: unknown } }
  assert.deepEqual(whoami.identity.traits, { email: 'Form@Example.org', username: 'former', name: { first: 'Fo' }, tenant: 'globex', newsletter: true, age: 42 })
  for (const identifier of ['form@example.org', 'FORMER']) {
    const loginJar = new CookieJar()
    const fresh = await openFlow(loginJar, identity.url, 'login')
    const response = await submitJson(loginJar, fresh, { method: 'password', csrf_token: csrfOf(fresh), identifier, password: PASSWORD })
    assert.equal(response.status, 200, identifier)
  }
  // A password equal to an identifier is refused (4000031).
  const other = new CookieJar()
  const again = await openFlow(other, identity.url, 'registration')
  const similar = await submitJson(other, again, { method: 'password', csrf_token: csrfOf(again), traits: { email: 'b@example.org', username: 'bobbybob', name: { first: 'B' }, tenant: 'acme' }, password: 'BOBBYBOB' })
  assert.equal(similar.status, 400)
  assert.equal(nodeOf((await similar.json()) as FlowJsonForTests, 'password').messages[0]?.id, 4000031)
})

test('GET /schemas lists the schema and /schemas/{id} serves it, by its base64url id or its id, also through the proxy', async (t) => {
  const { identity, publish } = await startProxiedIdentity(t, { identity: { schema: schema() } })
  for (const origin of [identity.url, `${publish}/.ory`]) {
    const list = (await (await fetch(`${origin}/schemas`)).json()) as Array<{ id: string; schema: unknown }>
    assert.deepEqual(list, [{ id: 'default', schema: APP_SCHEMA }])
    assert.deepEqual(await (await fetch(`${origin}/schemas/ZGVmYXVsdA`)).json(), APP_SCHEMA)
    assert.deepEqual(await (await fetch(`${origin}/schemas/default`)).json(), APP_SCHEMA)
    assert.equal((await fetch(`${origin}/schemas/b3RoZXI`)).status, 404)
  }
})

test('the settings page renders the profile form from the schema with the stored traits', async (t) => {
  const identity = await startTestIdentity(t, { schema: schema() })
  const jar = new CookieJar()
  const flow = await openFlow(jar, identity.url, 'registration')
  const traits = { email: 'page@example.org', username: 'pager', name: { first: 'Pa', last: 'Ge' }, tenant: 'acme', newsletter: true }
  assert.equal((await submitJson(jar, flow, { method: 'password', csrf_token: csrfOf(flow), traits, password: PASSWORD })).status, 200)
  const page = await navigate(jar, `${identity.url}/self-service/settings/browser`)
  assert.equal(page.response.status, 200)
  const html = await page.response.text()
  assert.match(html, /<input id="field-traits-name-last" type="text" name="traits.name.last" value="Ge">/)
  assert.match(html, /name="traits.newsletter" value="true" checked/)
  assert.match(html, /<option value="acme" selected>acme<\/option>/)
  assert.equal((html.match(/<form /g) ?? []).length, 2, 'a profile form and a password form')
})
