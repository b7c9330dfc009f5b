import { createECDH, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { v4 as uuid } from '@napi-rs/uuid'
import { ConfigError } from '../errors.js'

/** The proxy's ES256 signing key: the private JWK for the signing threads and the public half. */
export interface SigningKey {
  readonly kid: string
  /** P-256 private JWK (`kty`, `crv`, `x`, `y`, `d`); handed to the signing threads only. */
  readonly privateJwk: Readonly<JsonWebKey>
  /** What `/.ory/jwks.json` publishes: public members only, never `d`. */
  readonly publicJwk: Readonly<PublicJwk>
}

export interface PublicJwk {
  readonly use: 'sig'
  readonly kty: 'EC'
  readonly kid: string
  readonly crv: 'P-256'
  readonly alg: 'ES256'
  readonly x: string
  readonly y: string
}

/** A fresh P-256 key with a uuid `kid` for this process, as `ory proxy` makes on every start. */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return signingKey(privateKey.export({ format: 'jwk' }), uuid())
}

/** The key of `--jwk-file`, or a new one when none is given. */
export function signingKeyFor(jwkFile: string | undefined): Promise<SigningKey> {
  return jwkFile === undefined ? Promise.resolve(generateSigningKey()) : loadSigningKey(jwkFile)
}

/**
 * Loads the private key from `--jwk-file`: a JWK, or a JWKS with exactly one private key, on P-256.
 * Its `kid` is kept, or derived from the RFC 7638 thumbprint so proxies sharing the file agree.
 * Every problem is a {@link ConfigError} naming the file.
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  const fail = (reason: string, cause?: unknown): never => {
    throw new ConfigError(`--jwk-file ${path} ${reason}`, { cause })
  }
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    fail(`cannot be read: ${(cause as NodeJS.ErrnoException).code ?? cause}`, cause)
  }
  return parseSigningKey(text, fail)
}

/**
 * The private key in `text`, a JWK or a JWKS with exactly one private key, on P-256, as
 * {@link loadSigningKey} reads a file (and a session store its shared key). Every problem goes to
 * `fail` with a reason that reads after the source's name ("is not JSON ...").
 */
export async function parseSigningKey(text: string, fail: (reason: string, cause?: unknown) => never): Promise<SigningKey> {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (cause) {
    fail('is not JSON (expected a JWK or a JWKS)', cause)
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) fail('is not a JWK or a JWKS')
  const object = document as { keys?: unknown }
  let jwk: JsonWebKey
  if ('keys' in object) {
    if (!Array.isArray(object.keys)) fail('has a "keys" member that is not an array')
    const privates = (object.keys as unknown[]).filter(
      (key): key is JsonWebKey => key !== null && typeof key === 'object' && 'd' in key,
    )
    if (privates.length !== 1) fail(`must hold exactly one private key, found ${privates.length}`)
    jwk = privates[0]!
  } else {
    jwk = object as JsonWebKey
  }
  if (jwk.d === undefined) fail('has no private key ("d"); the proxy signs with it')
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') fail(`must hold a P-256 EC key for ES256, found kty ${jwk.kty} crv ${jwk.crv}`)
  if (jwk.alg !== undefined && jwk.alg !== 'ES256') fail(`has alg ${jwk.alg}; only ES256 is signed`)
  if (jwk.use !== undefined && jwk.use !== 'sig') fail(`has use ${jwk.use}; a signing key needs "sig"`)
  try {
    checkKeyPair(jwk)
  } catch (cause) {
    return fail(`holds an invalid key: ${(cause as Error).message}`, cause)
  }
  return signingKey(jwk, typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await thumbprintOf(jwk))
}

/**
 * Checks that `x`/`y` is a point on P-256 and that `d` is its private part (the point derived
 * from `d` is compared), so a mismatched file fails at start, not in every app's verifier. Node 22+
 * refuses a mismatched JWK in createPrivateKey itself, Node 20 accepts it: deriving the point says
 * the same on both.
 */
function checkKeyPair(jwk: JsonWebKey): void {
  createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' })
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(Buffer.from(jwk.d!, 'base64url'))
  // Uncompressed point: 0x04 || X (32 bytes) || Y (32 bytes).
  const point = ecdh.getPublicKey()
  if (point.subarray(1, 33).toString('base64url') !== jwk.x || point.subarray(33).toString('base64url') !== jwk.y) {
    throw new Error('the private part ("d") does not match the public part ("x", "y")')
  }
  createPrivateKey({ key: jwk, format: 'jwk' })
}

function signingKey(jwk: JsonWebKey, kid: string): SigningKey {
  const { x, y, d } = jwk
  return Object.freeze({
    kid,
    privateJwk: Object.freeze({ kty: 'EC', crv: 'P-256', x, y, d }),
    publicJwk: Object.freeze({ use: 'sig', kty: 'EC', kid, crv: 'P-256', alg: 'ES256', x: x!, y: y! }),
  })
}

/**
 * The RFC 7638 thumbprint, as proxies sharing a key file without a `kid` agree on it: jose's, loaded
 * only for such a file.
 */
async function thumbprintOf(jwk: JsonWebKey): Promise<string> {
  const { calculateJwkThumbprint } = await import('jose/jwk/thumbprint')
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y })
}

/**
 * The secret of the credential cache keys, derived from the private key and the Ory base URL that
 * answers for the credentials (HMAC-SHA256 over a label and that URL): only those sharing the
 * signing key and asking the same Ory compute the same cache keys. Without the URL, two proxies
 * sharing a key and a session store in front of two Kratos instances would share entries, and
 * browsers send a localhost cookie (`ory_kratos_session` on every self-hosted Kratos) to every
 * port: one proxy would vouch for an identity only the other Kratos knows (checklist e1).
 */
export function credentialSecretOf(key: SigningKey, oryBase: string): string {
  return createHmac('sha256', Buffer.from(key.privateJwk.d!, 'base64url'))
    .update(`ory-proxy credential keys v2\n${oryBase}`)
    .digest('hex')
}
