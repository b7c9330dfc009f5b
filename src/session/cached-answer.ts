import { sessionOfToken } from '../workers/claims.js'
import type { ActiveSession } from './whoami.js'

/**
 * One session cache entry: what the app is told, and until when. Holds no credentials, and no
 * second copy of the session: a renewal reads it back from the token (about 1 KiB less per entry).
 * The same entry lives in a worker's hot cache and in the shared level (another worker's or a
 * Redis), so it has one text form ({@link encodeAnswer}).
 */
export class CachedAnswer {
  constructor(
    /** `Bearer <jwt>`, or undefined for "no session" (a short negative entry). */
    readonly authorization: string | undefined,
    /** After this (ms) the token is re-signed instead of being reused. */
    readonly renewAt: number,
    readonly expiresAt: number,
    /** The token's `exp` in ms. */
    readonly tokenExpiresAt: number,
    /**
     * What a renewal signs from, kept only when the entry outlives its token: the session's end
     * (ms, or Infinity) when the token carries the session claim; the whole session when the
     * claim was left out for the header budget. Undefined: the next token takes a whoami call.
     */
    readonly renewal: number | ActiveSession | undefined,
  ) {}

  /** The session to sign the next token from (only called when `renewal` is set). */
  renewalSession(): ActiveSession {
    const renewal = this.renewal!
    if (typeof renewal !== 'number') return renewal
    // A number is only kept for a token that carries the session claim.
    const { sub, session } = sessionOfToken(this.authorization!)!
    return { sub, session, expiresAt: renewal === Number.POSITIVE_INFINITY ? undefined : renewal }
  }
}

/** JSON has no Infinity ("no end"); it travels as null. */
const endOf = (ms: number): number | null => (ms === Number.POSITIVE_INFINITY ? null : ms)
const endFrom = (ms: unknown): number => (typeof ms === 'number' ? ms : Number.POSITIVE_INFINITY)

type Wire = [
  authorization: string | null,
  renewAt: number | null,
  expiresAt: number,
  tokenExpiresAt: number,
  /** false: none kept; a number or null: the session's end; an array: the whole session. */
  renewal: false | number | null | [sub: string, session: string, expiresAt: number | null],
]

/** The entry as one JSON text, for IPC and Redis. */
export function encodeAnswer(answer: CachedAnswer): string {
  const { renewal } = answer
  const wire: Wire = [
    answer.authorization ?? null,
    endOf(answer.renewAt),
    answer.expiresAt,
    answer.tokenExpiresAt,
    renewal === undefined
      ? false
      : typeof renewal === 'number'
        ? endOf(renewal)
        : [renewal.sub, renewal.session, renewal.expiresAt ?? null],
  ]
  return JSON.stringify(wire)
}

/**
 * Reads {@link encodeAnswer}'s text back; anything else (another version's entry, a damaged
 * value) is undefined, which callers treat as a miss.
 */
export function decodeAnswer(text: string): CachedAnswer | undefined {
  let wire: unknown
  try {
    wire = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(wire) || wire.length !== 5) return undefined
  const [authorization, renewAt, expiresAt, tokenExpiresAt, renewal] = wire as Wire
  if (typeof expiresAt !== 'number' || typeof tokenExpiresAt !== 'number') return undefined
  if (authorization !== null && typeof authorization !== 'string') return undefined
  let kept: CachedAnswer['renewal']
  if (renewal === false) kept = undefined
  else if (Array.isArray(renewal)) kept = { sub: renewal[0], session: renewal[1], expiresAt: renewal[2] ?? undefined }
  else kept = endFrom(renewal)
  return new CachedAnswer(authorization ?? undefined, endFrom(renewAt), expiresAt, tokenExpiresAt, kept)
}
