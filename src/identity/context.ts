import type { Logger } from '../logger.js'
import type { CookieWriter } from './cookies.js'
import type { CsrfTokens } from './csrf.js'
import type { ErrorReports } from './error-reports.js'
import type { FlowStore } from './flows.js'
import type { IdentityStore } from './identity-store.js'
import type { Outbox } from './outbox.js'
import type { IdentitySchema } from './schema.js'
import type { SessionStore } from './sessions.js'

/** Everything a handler needs, built once per server. */
export interface IdentityContext {
  /** `scheme://host[:port]` every generated URL starts with. */
  readonly origin: string
  readonly base: URL
  /** Where browsers go after login, registration and logout without `return_to`: `<origin>/ui/welcome`, as on Ory Network. */
  readonly defaultReturnUrl: string
  readonly schema: IdentitySchema
  readonly identities: IdentityStore
  readonly sessions: SessionStore
  readonly flows: FlowStore
  readonly errorReports: ErrorReports
  readonly csrf: CsrfTokens
  readonly cookies: CookieWriter
  /** Where "sent" recovery and verification codes go instead of SMTP. */
  readonly outbox: Outbox
  /** How long after signing in a session may change its password or protected traits (Kratos' `privileged_session_max_age`). */
  readonly privilegedMs: number
  /** How long a recovery or verification code stays valid (Kratos' `code.config.lifespan`). */
  readonly codeLifetimeMs: number
  /** Bearer token for the admin listener. */
  readonly adminToken: string
  readonly logger: Logger
}
