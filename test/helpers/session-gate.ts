import type { InboundHeaders } from '../../src/server/inbound-headers.js'
import type { SessionGate } from '../../src/server/pipeline.js'

/**
 * TEST DOUBLE for the session gate (the real one, with Ory whoami and ES256 JWTs, lives on its own
 * branch). A request whose cookies contain `ory_session_test=<name>` is "signed in as <name>" and
 * gets `Bearer test-jwt.<name>`; every other request is anonymous. It records what it was asked.
 */
export class FakeSessionGate implements SessionGate {
  readonly jwks = { body: '{"keys":[]}', etag: '"test"' }
  /** The cookie header of every request the gate was asked about. */
  readonly asked: Array<string | undefined> = []

  authorize(headers: InboundHeaders): string | undefined {
    this.asked.push(headers.cookie)
    const match = /(?:^|;\s*)ory_session_test=([^;]+)/.exec(headers.cookie ?? '')
    return match ? `Bearer test-jwt.${match[1]}` : undefined
  }
}
