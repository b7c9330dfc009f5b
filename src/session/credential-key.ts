import { hash, randomBytes } from 'node:crypto'
import type { Credentials } from './credentials.js'

/**
 * Cache and single-flight keys: SHA-256 over a secret followed by an unambiguous encoding of the
 * credentials sent to whoami (checklist e1). The secret (derived from the signing key, so every
 * worker and proxy sharing that key computes the same keys) makes keys unpredictable to anyone
 * without it, Redis readers included; each field is length-prefixed so `('a:1', 'b')` and `('a', '1:b')`
 * never meet (fastify-reply-from GHSA-v574-6498-x57v). A secret prefix rather than HMAC because
 * the keys are only ever compared, never verified, so length extension is moot, and it costs a
 * quarter of the time on the per-request path (about 1 µs against 3.6 µs here).
 */
export class CredentialKeys {
  readonly #secret: string

  /** `secret`: 32 or more random bytes as text; default: new ones for this process. */
  constructor(secret: string = randomBytes(32).toString('hex')) {
    this.#secret = secret
  }

  /** The key of one credential tuple; `undefined` fields are distinct from empty ones. */
  keyOf({ cookie, sessionToken, authorization }: Credentials): string {
    return hash('sha256', this.#secret + field(cookie) + field(sessionToken) + field(authorization), 'base64')
  }
}

function field(value: string | undefined): string {
  return value === undefined ? '-' : `${value.length}:${value}`
}
