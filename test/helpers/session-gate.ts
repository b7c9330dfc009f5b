import type { TestContext } from 'node:test'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { parseUpstream } from '../../src/config.js'
import { silentLogger } from '../../src/logger.js'
import { OrySessionGate } from '../../src/session/gate.js'
import { generateSigningKey } from '../../src/session/keys.js'
import { startFakeOry, type FakeOry } from './ory.js'

export interface TestSessionGate {
  /** Pass as the proxy's `gate`; the proxy closes it. */
  readonly gate: OrySessionGate
  /** Where its whoami calls go; add sessions here. */
  readonly ory: FakeOry
  /** The identity a request was forwarded as: the `sub` of its one verified Bearer JWT. */
  subjectOf(authorization: readonly string[] | undefined): Promise<string>
}

/**
 * The real session gate (whoami, cache, ES256 JWTs) against a fake Ory on 127.0.0.1:0, for tests
 * that check the JWT travels on every protocol. Its Ory need not be the proxy's `/.ory` upstream.
 */
export async function startSessionGate(t: TestContext): Promise<TestSessionGate> {
  const ory = await startFakeOry(t)
  const gate = new OrySessionGate(parseUpstream(ory.url, 'ory'), { key: generateSigningKey(), logger: silentLogger })
  const keys = createLocalJWKSet(JSON.parse(gate.jwks.body))
  return {
    gate,
    ory,
    subjectOf: async (authorization) => {
      if (authorization?.length !== 1 || !authorization[0]!.startsWith('Bearer ')) {
        throw new Error(`expected one Bearer token, got ${JSON.stringify(authorization)}`)
      }
      const { payload } = await jwtVerify(authorization[0]!.slice(7), keys, { algorithms: ['ES256'], issuer: ory.url })
      return payload.sub!
    },
  }
}
