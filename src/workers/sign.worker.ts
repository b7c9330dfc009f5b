import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto'
import { workerData } from 'node:worker_threads'
import { claimsPrefix, payloadText } from './claims.js'

/** Handed to every signing thread once, through piscina's `workerData`. */
export interface SignerSetup {
  readonly privateJwk: JsonWebKey
  readonly kid: string
  /** `iss`: the Ory URL as ory proxy sets it. */
  readonly issuer: string
  /** Longest `Authorization` value (`Bearer <jwt>`) the app should receive, in bytes. */
  readonly headerBudget: number
}

/**
 * One token to sign. `session` is whoami's JSON text, embedded verbatim as ory proxy does;
 * undefined signs a lean token, `sub` without the session claim.
 */
export interface SignTask {
  readonly sub: string
  readonly session: string | undefined
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

export interface SignResult {
  /** `Bearer <jwt>`, ready for the app's Authorization header. */
  readonly authorization: string
  /** True when the token has no session claim: a lean task, or one over the header budget (checklist e7). */
  readonly sessionDropped: boolean
}

const setup = workerData as SignerSetup
// A KeyObject made once per thread: node:crypto's ECDSA with it costs about a quarter of jose's
// WebCrypto path (44 vs 156 µs per token with a 1 KB session here); a key given as PEM or JWK
// per call would be parsed on every signature. The private key never crosses back to the main thread.
const key = createPrivateKey({ key: setup.privateJwk, format: 'jwk' })
const signing = { key, dsaEncoding: 'ieee-p1363' } as const
const encodedHeader = Buffer.from(JSON.stringify({ alg: 'ES256', kid: setup.kid, typ: 'JWT' })).toString('base64url')
/** `Bearer ` + header + `.` + payload + `.` + 64-byte P1363 signature. */
const FIXED_LENGTH = 'Bearer '.length + encodedHeader.length + 2 + base64urlLength(64)

/**
 * Signs one ES256 JWT (RFC 7515 compact form, RFC 7518 §3.4 R‖S signature) with ory proxy's
 * claims: iss, sub, iat, nbf, exp, jti, session. Synchronous: a thread signs one token at a time.
 */
export default function signToken(task: SignTask): SignResult {
  const claims = claimsPrefix(setup.issuer, task.sub, task.iat, task.exp, task.jti)
  let payload = payloadText(claims, task.session)
  let sessionDropped = task.session === undefined
  if (!sessionDropped && FIXED_LENGTH + base64urlLength(Buffer.byteLength(payload)) > setup.headerBudget) {
    payload = payloadText(claims, undefined)
    sessionDropped = true
  }
  const signingInput = `${encodedHeader}.${Buffer.from(payload).toString('base64url')}`
  const signature = sign('sha256', Buffer.from(signingInput, 'latin1'), signing).toString('base64url')
  return { authorization: `Bearer ${signingInput}.${signature}`, sessionDropped }
}

function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3)
}
