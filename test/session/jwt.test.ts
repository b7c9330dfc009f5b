import assert from 'node:assert/strict'
import { createHmac, createPrivateKey, createPublicKey, sign, type JsonWebKey } from 'node:crypto'
import { test } from 'node:test'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { request } from 'undici'
import { generateSigningKey } from '../../src/session/keys.js'
import { freePort } from '../helpers/upstream.js'
import { startSessionProxy, viewThrough } from '../helpers/session-proxy.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('an active session becomes one ES256 JWT with ory proxy claims that verifies against /.ory/jwks.json', async (t) => {
  const { ory, proxy, issuer } = await startSessionProxy(t)
  const session = ory.addCookieSession('ory_session_project', 'A', 'identity-a')

  const { status, view } = await viewThrough(proxy, '/page', { cookie: 'theme=dark; ory_session_project=A; other=1' })
  assert.equal(status, 200)
  assert.equal(view!.error, undefined)
  assert.equal(view!.authorization.length, 1)
  const claims = view!.claims!
  assert.deepEqual(Object.keys(claims).sort(), ['exp', 'iat', 'iss', 'jti', 'nbf', 'session', 'sub'])
  assert.equal(claims.iss, issuer)
  assert.equal(claims.sub, 'identity-a')
  assert.equal(claims.nbf, claims.iat)
  assert.equal(claims.exp! - claims.iat!, 60)
  assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 5)
  assert.match(claims.jti!, UUID)
  const embedded = claims.session as { id: string; active: boolean; identity: { id: string; traits: unknown } }
  assert.equal(embedded.id, session.id)
  assert.equal(embedded.active, true)
  assert.deepEqual(embedded.identity.traits, { email: 'identity-a@example.org' })

  const jwks = (await (await request(`${proxy.url}/.ory/jwks.json`)).body.json()) as { keys: Array<{ kid: string }> }
  assert.deepEqual(view!.header, { alg: 'ES256', kid: jwks.keys[0]!.kid, typ: 'JWT' })
  // IEEE P1363 r‖s, not DER (checklist e4).
  assert.equal(Buffer.from(view!.authorization[0]!.split('.')[2]!, 'base64url').length, 64)

  // whoami got only the Ory cookie, the request id and Accept.
  assert.equal(ory.whoamiCalls.length, 1)
  const sent = ory.whoamiCalls[0]!.headers
  assert.deepEqual(sent.cookie, ['ory_session_project=A'])
  assert.deepEqual(sent.accept, ['application/json'])
  assert.equal(sent['x-request-id']!.length, 1)
  assert.equal(sent.authorization, undefined)
  assert.equal(sent['x-session-token'], undefined)
  assert.equal(sent['ory-base-url-rewrite'], undefined)
})

test('jti is fresh per token and exp never outlives the session', async (t) => {
  const { ory, proxy } = await startSessionProxy(t)
  ory.addCookieSession('ory_kratos_session', 'short', 'identity-short', { expiresInMs: 20_000 })
  ory.addCookieSession('ory_kratos_session', 'long', 'identity-long')
  const short = (await viewThrough(proxy, '/', { cookie: 'ory_kratos_session=short' })).view!.claims!
  const long = (await viewThrough(proxy, '/', { cookie: 'ory_kratos_session=long' })).view!.claims!
  assert.equal(short.sub, 'identity-short')
  assert.ok(short.exp! - short.iat! <= 20, `exp - iat = ${short.exp! - short.iat!}`)
  assert.notEqual(short.jti, long.jti)
})

test('/.ory/jwks.json and /.ory/proxy/jwks.json serve the public key only, with caching headers, while Ory is down', async (t) => {
  const { app, ory, proxy, gate } = await startSessionProxy(t, { oryUrl: `http://127.0.0.1:${await freePort()}` })
  for (const path of ['/.ory/jwks.json', '/.ory/proxy/jwks.json']) {
    const response = await request(proxy.url + path)
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8')
    assert.match(String(response.headers['cache-control']), /max-age=\d+/)
    assert.equal(response.headers.etag, gate.jwks.etag)
    const body = await response.body.text()
    assert.equal(body, gate.jwks.body)
    const { keys } = JSON.parse(body) as { keys: Array<Record<string, string>> }
    assert.equal(keys.length, 1)
    assert.deepEqual(Object.keys(keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    assert.equal(keys[0]!.alg, 'ES256')
    assert.equal(keys[0]!.crv, 'P-256')
    assert.ok(!('d' in keys[0]!))
  }
  assert.equal(app.count, 0)
  assert.equal(ory.requests.length, 0)
})

test('the recommended verification rejects forged tokens (checklist e6)', async (t) => {
  const key = generateSigningKey()
  const { ory, proxy, issuer } = await startSessionProxy(t, { key })
  ory.addCookieSession('ory_kratos_session', 'A', 'identity-a')
  const genuine = (await viewThrough(proxy, '/', { cookie: 'ory_kratos_session=A' })).view!.authorization[0]!.slice(7)
  const jwks = createRemoteJWKSet(new URL('/.ory/jwks.json', proxy.url))
  const verify = (token: string) => jwtVerify(token, jwks, { algorithms: ['ES256'], issuer })
  await verify(genuine) // the genuine token passes, so every rejection below is about the forgery

  const [headerPart, payloadPart, signaturePart] = genuine.split('.') as [string, string, string]
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, number>
  const publicJwk = key.publicJwk
  const publicPem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
  const hs256 = (secret: string | Buffer) => {
    const head = encode({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    return `${head}.${payloadPart}.${createHmac('sha256', secret).update(`${head}.${payloadPart}`).digest('base64url')}`
  }
  // Genuinely signed with the proxy's key, so only the named defect can make them fail.
  const es256 = (header: object, claims: object) => {
    const input = `${encode(header)}.${encode(claims)}`
    const privateKey = createPrivateKey({ key: key.privateJwk as JsonWebKey, format: 'jwk' })
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
  }
  const header = { alg: 'ES256', kid: key.kid, typ: 'JWT' }
  const now = Math.floor(Date.now() / 1000)
  await verify(es256(header, payload)) // the helper itself makes valid tokens
  const forgeries: Record<string, string> = {
    'alg none': `${encode({ alg: 'none', kid: key.kid, typ: 'JWT' })}.${payloadPart}.`,
    'HS256 keyed with the public JWK': hs256(JSON.stringify(publicJwk)),
    'HS256 keyed with the public PEM': hs256(publicPem),
    'DER-encoded signature': `${headerPart}.${payloadPart}.${p1363ToDer(Buffer.from(signaturePart, 'base64url')).toString('base64url')}`,
    'tampered payload': `${headerPart}.${encode({ ...payload, sub: 'identity-b' })}.${signaturePart}`,
    'all-zero signature': `${headerPart}.${payloadPart}.${Buffer.alloc(64).toString('base64url')}`,
    'unknown kid': es256({ ...header, kid: 'some-other-key' }, payload),
    expired: es256(header, { ...payload, iat: now - 600, nbf: now - 600, exp: now - 300 }),
    'nbf in the future': es256(header, { ...payload, nbf: now + 300, exp: now + 600 }),
  }
  for (const [name, token] of Object.entries(forgeries)) {
    await assert.rejects(verify(token), `${name} must be rejected`)
  }
})

/** r‖s (32 bytes each) → ASN.1 DER SEQUENCE { INTEGER r, INTEGER s }. */
function p1363ToDer(signature: Buffer): Buffer {
  const integer = (bytes: Buffer) => {
    let value = bytes
    while (value.length > 1 && value[0] === 0 && value[1]! < 0x80) value = value.subarray(1)
    if (value[0]! >= 0x80) value = Buffer.concat([Buffer.from([0]), value])
    return Buffer.concat([Buffer.from([0x02, value.length]), value])
  }
  const body = Buffer.concat([integer(signature.subarray(0, 32)), integer(signature.subarray(32))])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}
