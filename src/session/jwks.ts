import { createHash } from 'node:crypto'
import type { PublicJwk } from './keys.js'

/** The JWKS document and its validator, computed once per process (the key never changes). */
export interface JwksDocument {
  readonly body: string
  readonly etag: string
}

/**
 * `{"keys":[{"use":"sig","kty":"EC","kid":…,"crv":"P-256","alg":"ES256","x":…,"y":…}]}` plus a
 * newline, byte for byte what `ory proxy` serves; only the public members are ever listed.
 */
export function jwksDocument(key: PublicJwk): JwksDocument {
  const { use, kty, kid, crv, alg, x, y } = key
  const body = `${JSON.stringify({ keys: [{ use, kty, kid, crv, alg, x, y }] })}\n`
  return Object.freeze({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` })
}
