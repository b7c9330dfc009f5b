import { randomBytes, randomUUID } from 'node:crypto'
import { ExpiringMap } from './expiring-map.js'

/** The device a session was created from, as Kratos lists it under `devices`. */
export interface SessionDevice {
  readonly id: string
  readonly ipAddress: string
  readonly userAgent: string
}

export interface SessionRecord {
  readonly id: string
  /** The session token: the `ory_kratos_session` cookie value and the API flows' `session_token`. */
  readonly token: string
  /** Proves a logout link was issued to this session's holder (Kratos' `logout_token`). */
  readonly logoutToken: string
  readonly identityId: string
  readonly issuedAt: number
  /** When the person last proved who they are (login, refresh login, recovery): the privileged window starts here. */
  readonly authenticatedAt: number
  /** How they did (Kratos' `authentication_methods[].method`). */
  readonly method: AuthenticationMethod
  readonly expiresAt: number
  readonly device: SessionDevice
}

/** Kratos' names for the ways this server signs people in. */
export type AuthenticationMethod = 'password' | 'code_recovery'

/** Sessions kept at most; the oldest goes first (every session lives equally long). */
const MAX_SESSIONS = 50_000

/**
 * Sessions in memory, keyed by token. They end at `expiresAt` (Kratos' `session.lifespan`) or
 * when revoked; nothing is persisted, so a restart signs everyone out.
 */
export class SessionStore {
  readonly #lifetimeMs: number
  readonly #byToken = new ExpiringMap<SessionRecord>(MAX_SESSIONS, (session) => session.expiresAt)

  constructor(lifetimeMs: number) {
    this.#lifetimeMs = lifetimeMs
  }

  create(identityId: string, device: Omit<SessionDevice, 'id'>, method: AuthenticationMethod, now: number): SessionRecord {
    const session: SessionRecord = {
      id: randomUUID(),
      // Ory's session token prefix, so the token is recognisable in logs and secret scanners.
      token: `ory_st_${randomBytes(32).toString('base64url')}`,
      logoutToken: `ory_lo_${randomBytes(32).toString('base64url')}`,
      identityId,
      issuedAt: now,
      authenticatedAt: now,
      method,
      expiresAt: now + this.#lifetimeMs,
      device: { id: randomUUID(), ...device },
    }
    this.#byToken.set(session.token, session, now)
    return session
  }

  /** The active session for a token, or undefined (unknown, revoked or expired). */
  byToken(token: string | undefined, now: number): SessionRecord | undefined {
    return token === undefined ? undefined : this.#byToken.get(token, now)
  }

  /** Ends the session holding `token`; false when there was none. */
  revokeToken(token: string): boolean {
    return this.#byToken.delete(token)
  }

  /** Ends the session with this id (the admin API addresses sessions by id). */
  revokeId(id: string, now: number): boolean {
    for (const session of this.#byToken.values(now)) {
      if (session.id === id) return this.#byToken.delete(session.token)
    }
    return false
  }
}
