import { workerData } from 'node:worker_threads'
// jose's entry point loads every JWE/JWT/JWKS module; a signing thread needs two (about 40 ms
// less before the first token can be signed).
import type { JWK } from 'jose'
import { CompactSign } from 'jose/jws/compact/sign'
import { importJWK } from 'jose/key/import'
import { claimsPrefix, payloadText } from './claims.js'

/** Handed to every signing thread once, through piscina's `workerData`. */
export interface SignerSetup {
  readonly privateJwk: JWK
  readonly kid: string
  /** `iss`: the Ory URL as ory proxy sets it. */
  readonly issuer: string
  /** Longest `Authorization` value (`Bearer <jwt>`) the app should receive, in bytes. */
  readonly headerBudget: number
}

/** One token to sign. `session` is whoami's JSON text, embedded verbatim as ory proxy does. */
export interface SignTask {
  readonly sub: string
  readonly session: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

export interface SignResult {
  /** `Bearer <jwt>`, ready for the app's Authorization header. */
  readonly authorization: string
  /** True when the session claim was left out to stay within the header budget (checklist e7). */
  readonly sessionDropped: boolean
}

const setup = workerData as SignerSetup
// Imported once per thread; the private key never crosses back to the main thread.
const key = await importJWK(setup.privateJwk, 'ES256')
const header = { alg: 'ES256', kid: setup.kid, typ: 'JWT' }
const headerLength = base64urlLength(Buffer.byteLength(JSON.stringify(header)))
const encoder = new TextEncoder()
/** `Bearer ` + header + `.` + payload + `.` + 64-byte P1363 signature. */
const FIXED_LENGTH = 'Bearer '.length + headerLength + 2 + base64urlLength(64)

/** Signs one ES256 JWT with ory proxy's claims: iss, sub, iat, nbf, exp, jti, session. */
export default async function signToken(task: SignTask): Promise<SignResult> {
  const claims = claimsPrefix(setup.issuer, task.sub, task.iat, task.exp, task.jti)
  let payload = payloadText(claims, task.session)
  let sessionDropped = false
  if (FIXED_LENGTH + base64urlLength(Buffer.byteLength(payload)) > setup.headerBudget) {
    payload = payloadText(claims, undefined)
    sessionDropped = true
  }
  const jwt = await new CompactSign(encoder.encode(payload)).setProtectedHeader(header).sign(key)
  return { authorization: `Bearer ${jwt}`, sessionDropped }
}

function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3)
}
