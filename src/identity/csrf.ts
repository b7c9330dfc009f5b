import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const SECRET_BYTES = 32
/** base64url of 32 bytes. */
const SECRET_TEXT = /^[A-Za-z0-9_-]{43}$/
/** base64url of a 32-byte pad followed by the 32-byte masked secret. */
const TOKEN_TEXT = /^[A-Za-z0-9_-]{86}$/

/**
 * Anti-CSRF tokens as Kratos issues them (double-submit, nosurf style): a random secret lives in
 * an HttpOnly cookie, and each form carries the secret XOR-masked with a fresh one-time pad, so the
 * token in the page never equals the cookie and differs on every render (BREACH).
 */
export class CsrfTokens {
  /** Kratos names the cookie `csrf_token_<sha256 of its base URL>`, so two servers on one host do not collide. */
  readonly cookieName: string

  constructor(baseUrl: string) {
    this.cookieName = `csrf_token_${createHash('sha256').update(baseUrl).digest('hex')}`
  }

  /** A new cookie secret. */
  newSecret(): string {
    return randomBytes(SECRET_BYTES).toString('base64url')
  }

  /** The secret from a cookie value, or undefined when it is not one we issued. */
  secretFrom(cookieValue: string | undefined): string | undefined {
    return cookieValue !== undefined && SECRET_TEXT.test(cookieValue) ? cookieValue : undefined
  }

  /** The form token for `secret`: pad ‖ (secret XOR pad). */
  mask(secret: string): string {
    const raw = Buffer.from(secret, 'base64url')
    const pad = randomBytes(SECRET_BYTES)
    const masked = Buffer.alloc(SECRET_BYTES)
    for (let i = 0; i < SECRET_BYTES; i++) masked[i] = raw[i]! ^ pad[i]!
    return Buffer.concat([pad, masked]).toString('base64url')
  }

  /** Whether the submitted form token unmasks to the cookie's secret (constant time). */
  matches(secret: string | undefined, token: string | undefined): boolean {
    if (secret === undefined || token === undefined || !TOKEN_TEXT.test(token)) return false
    const bytes = Buffer.from(token, 'base64url')
    const unmasked = Buffer.alloc(SECRET_BYTES)
    for (let i = 0; i < SECRET_BYTES; i++) unmasked[i] = bytes[i]! ^ bytes[i + SECRET_BYTES]!
    return timingSafeEqual(unmasked, Buffer.from(secret, 'base64url'))
  }
}
