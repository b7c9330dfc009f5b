/**
 * The JWT payload as ory proxy builds it (iss, sub, iat, nbf, exp, jti, then the whole whoami
 * session verbatim), written by the signing threads and read back by the session cache, so one
 * module owns the layout.
 */

/** The claims before `session`, as a JSON object text without its closing brace. */
export function claimsPrefix(issuer: string, sub: string, iat: number, exp: number, jti: string): string {
  return `{"iss":${JSON.stringify(issuer)},"sub":${JSON.stringify(sub)},"iat":${iat},"nbf":${iat},"exp":${exp},"jti":${JSON.stringify(jti)}`
}

/** The payload: with the session claim (whoami's JSON text, verbatim) or, when it is left out, without. */
export function payloadText(prefix: string, session: string | undefined): string {
  return session === undefined ? `${prefix}}` : `${prefix},"session":${session}}`
}

const SESSION_KEY = ',"session":'

/** What a token this proxy signed carries besides its issuer and ids. */
export interface TokenSession {
  readonly sub: string
  readonly iat: number
  readonly exp: number
  /** The session claim's text, verbatim. */
  readonly session: string
}

/**
 * `sub`, `iat`, `exp` and the verbatim session text of a token this proxy signed (`Bearer <jwt>`),
 * or undefined when it carries no session claim. JSON escapes every `"` inside a string, so the
 * first `,"session":` is the claim itself, never part of a value before it.
 */
export function sessionOfToken(authorization: string): TokenSession | undefined {
  const dot = authorization.indexOf('.')
  const payload = Buffer.from(authorization.slice(dot + 1, authorization.indexOf('.', dot + 1)), 'base64url').toString()
  const at = payload.indexOf(SESSION_KEY)
  if (at === -1) return undefined
  const { sub, iat, exp } = JSON.parse(`${payload.slice(0, at)}}`) as { sub: string; iat: number; exp: number }
  return { sub, iat, exp, session: payload.slice(at + SESSION_KEY.length, -1) }
}
