import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { ExpiringMap } from './expiring-map.js'

/** The device a session was created from, as Kratos lists it under `devices`. */
export interface SessionDevice {
  readonly id: string
  readonly ipAddress: string
  readonly userAgent: string
}

/**
 * A session as kept (in memory and in `--identity-store`): the token itself is never stored, only
 * its SHA-256, so a copy of the store file signs no one in.
 */
export interface SessionRecord {
  readonly id: string
  /** SHA-256 (base64url) of the session token: the `ory_kratos_session` cookie value and the API flows' `session_token`. */
  readonly tokenHash: string
  readonly identityId: string
  readonly issuedAt: number
  /** When the person last proved who they are (login, refresh login, recovery): the privileged window starts here. */
  readonly authenticatedAt: number
  /** How they did (Kratos' `authentication_methods[].method`). */
  readonly method: AuthenticationMethod
  readonly expiresAt: number
  readonly device: SessionDevice
  /** False once revoked (logout, the admin API); Kratos keeps such sessions, listed as inactive, until they expire. */
  readonly active: boolean
}

/** Kratos' names for the ways this server signs people in. */
export type AuthenticationMethod = 'password' | 'code_recovery'

/** Sessions kept at most; the oldest goes first (every session lives equally long). */
const MAX_SESSIONS = 50_000

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * The logout token of the session holding `token` (Kratos' `logout_token`): derived from the
 * session token, so only its holder can make it, and nothing more needs storing.
 */
export function logoutTokenFor(token: string): string {
  return `ory_lo_${createHmac('sha256', token).update('logout').digest('base64url')}`
}

/** Where sessions are saved: `--identity-store`'s file, or nowhere. */
export interface SessionPersistence {
  /** Sessions read back at start (expired ones are dropped here). */
  readonly stored: readonly SessionRecord[]
  /** Asks for a write that includes the current sessions; a failure is reported, not thrown. */
  save(): void
}

/**
 * Sessions by token hash. They end at `expiresAt` (Kratos' `session.lifespan`) or when revoked
 * (then they stay, inactive, until they expire, as Kratos lists them). With a persistence they
 * survive restarts: every change asks for a write.
 */
export class SessionStore {
  readonly #lifetimeMs: number
  readonly #byHash = new ExpiringMap<SessionRecord>(MAX_SESSIONS, (session) => session.expiresAt)
  readonly #byId = new Map<string, string>()
  readonly #persistence: SessionPersistence | undefined

  constructor(lifetimeMs: number, persistence?: SessionPersistence, now = Date.now()) {
    this.#lifetimeMs = lifetimeMs
    this.#persistence = persistence
    // Oldest expiry first: the map sweeps expired entries from its front.
    const live = (persistence?.stored ?? []).filter((session) => session.expiresAt > now).sort((a, b) => a.expiresAt - b.expiresAt)
    for (const session of live) this.#put(session, now)
  }

  /** A new session; the token is returned once, here, and never kept. */
  create(identityId: string, device: Omit<SessionDevice, 'id'>, method: AuthenticationMethod, now: number): { session: SessionRecord; token: string } {
    // Ory's session token prefix, so the token is recognisable in logs and secret scanners.
    const token = `ory_st_${randomBytes(32).toString('base64url')}`
    const session: SessionRecord = {
      id: randomUUID(),
      tokenHash: tokenHash(token),
      identityId,
      issuedAt: now,
      authenticatedAt: now,
      method,
      expiresAt: now + this.#lifetimeMs,
      device: { id: randomUUID(), ...device },
      active: true,
    }
    this.#put(session, now)
    this.#persistence?.save()
    return { session, token }
  }

  /** The active session for a token, or undefined (unknown, revoked or expired). */
  byToken(token: string | undefined, now: number): SessionRecord | undefined {
    if (token === undefined) return undefined
    const session = this.#byHash.get(tokenHash(token), now)
    return session?.active ? session : undefined
  }

  /** A session by id, active or not, until it expires. */
  byId(id: string, now: number): SessionRecord | undefined {
    const hash = this.#byId.get(id)
    const session = hash === undefined ? undefined : this.#byHash.get(hash, now)
    if (session === undefined) this.#byId.delete(id)
    return session
  }

  /** Unexpired sessions, oldest first, optionally of one identity and of one activity. */
  list(now: number, filter: { readonly identityId?: string | undefined; readonly active?: boolean | undefined } = {}): SessionRecord[] {
    const found: SessionRecord[] = []
    for (const session of this.#byHash.values(now)) {
      if (filter.identityId !== undefined && session.identityId !== filter.identityId) continue
      if (filter.active !== undefined && session.active !== filter.active) continue
      found.push(session)
    }
    return found
  }

  /** Ends a session (it stays listed as inactive); false when it was not active. */
  revoke(id: string, now: number): boolean {
    const session = this.byId(id, now)
    if (session === undefined || !session.active) return false
    // Replacing the value keeps its place in the map (its expiry did not change).
    this.#put({ ...session, active: false }, now)
    this.#persistence?.save()
    return true
  }

  /** Ends every active session of an identity; how many there were. */
  revokeIdentity(identityId: string, now: number): number {
    const ended = this.list(now, { identityId, active: true })
    for (const session of ended) this.#put({ ...session, active: false }, now)
    if (ended.length > 0) this.#persistence?.save()
    return ended.length
  }

  /** Forgets every session of an identity (it was deleted). */
  dropIdentity(identityId: string, now: number): void {
    const dropped = this.list(now, { identityId })
    for (const session of dropped) {
      this.#byHash.delete(session.tokenHash)
      this.#byId.delete(session.id)
    }
    if (dropped.length > 0) this.#persistence?.save()
  }

  /** Kratos' `extendSession`: an active session lasts a whole lifespan from now. */
  extend(id: string, now: number): SessionRecord | undefined {
    const session = this.byId(id, now)
    if (session === undefined || !session.active) return undefined
    const extended = { ...session, expiresAt: now + this.#lifetimeMs }
    // Re-inserted at the end, where the latest expiry belongs.
    this.#byHash.delete(session.tokenHash)
    this.#put(extended, now)
    this.#persistence?.save()
    return extended
  }

  /** Every unexpired session, for the store file. */
  snapshot(now: number): SessionRecord[] {
    return this.list(now)
  }

  #put(session: SessionRecord, now: number): void {
    this.#byHash.set(session.tokenHash, session, now)
    this.#byId.set(session.id, session.tokenHash)
    // The map drops expired and excess sessions on its own; the id index follows now and then.
    if (this.#byId.size > 2 * this.#byHash.size + 1_024) {
      for (const [id, hash] of this.#byId) if (this.#byHash.get(hash, now) === undefined) this.#byId.delete(id)
    }
  }
}
