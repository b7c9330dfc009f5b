/**
 * How a whoami call ended: `active` (a session), `inactive` (401/403 or `active: false`: anonymous),
 * `timeout` (no answer within --whoami-timeout), `error` (refused, 5xx, 429, malformed, too large).
 */
export type WhoamiOutcome = 'active' | 'inactive' | 'timeout' | 'error'

/**
 * Why entries left the session cache: `capacity` (the least recently used made room),
 * `expired` (found past its TTL), `logout` (a logout through this or another worker or proxy).
 */
export type EvictionReason = 'capacity' | 'expired' | 'logout'

/**
 * What the session layer reports for the metrics (src/observability implements it). Absent, the
 * gate reads no clock for it and calls nothing.
 */
export interface SessionEvents {
  whoamiAnswered(outcome: WhoamiOutcome, seconds: number): void
  /** One token signed; `seconds` from handing it to the pool until it came back (queueing included). */
  tokenSigned(seconds: number): void
  sessionsEvicted(reason: EvictionReason, count: number): void
}
