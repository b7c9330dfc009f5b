import type { IdentityRecord } from './identity-store.js'
import { SCHEMA_ID, SCHEMA_PATH_ID } from './schema.js'
import type { SessionRecord } from './sessions.js'

const iso = (ms: number) => new Date(ms).toISOString()

/** An identity as Kratos' public API shows it (no credentials). */
export function identityJson(identity: IdentityRecord, origin: string): Record<string, unknown> {
  const at = identity.createdAt
  return {
    id: identity.id,
    schema_id: SCHEMA_ID,
    schema_url: `${origin}/schemas/${SCHEMA_PATH_ID}`,
    state: 'active',
    state_changed_at: at,
    traits: { email: identity.email },
    // No courier here, so addresses stay unverified, as after a Kratos sign-up before the email link.
    verifiable_addresses: [
      {
        id: identity.addressIds.verifiable,
        value: identity.identifier,
        verified: false,
        via: 'email',
        status: 'pending',
        created_at: at,
        updated_at: at,
      },
    ],
    recovery_addresses: [{ id: identity.addressIds.recovery, value: identity.identifier, via: 'email', created_at: at, updated_at: at }],
    metadata_public: null,
    created_at: at,
    updated_at: at,
    organization_id: null,
  }
}

/** A session as `/sessions/whoami` returns it. */
export function sessionJson(session: SessionRecord, identity: IdentityRecord, origin: string): Record<string, unknown> {
  const issued = iso(session.issuedAt)
  return {
    id: session.id,
    active: true,
    expires_at: iso(session.expiresAt),
    authenticated_at: issued,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: issued }],
    issued_at: issued,
    identity: identityJson(identity, origin),
    devices: [
      {
        id: session.device.id,
        ip_address: session.device.ipAddress,
        user_agent: session.device.userAgent,
        location: '',
      },
    ],
  }
}
