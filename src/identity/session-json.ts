import type { IdentityRecord } from './identity-store.js'
import type { SessionRecord } from './sessions.js'

const iso = (ms: number) => new Date(ms).toISOString()

/** An identity as Kratos' public API shows it (no credentials). */
export function identityJson(identity: IdentityRecord, origin: string): Record<string, unknown> {
  return {
    id: identity.id,
    schema_id: identity.schemaId,
    schema_url: `${origin}/schemas/${Buffer.from(identity.schemaId).toString('base64url')}`,
    state: 'active',
    state_changed_at: identity.createdAt,
    traits: identity.traits,
    verifiable_addresses: identity.verifiableAddresses.map((address) => ({
      id: address.id,
      value: address.value,
      verified: address.verified,
      via: 'email',
      status: address.verified ? 'completed' : 'pending',
      ...(address.verifiedAt === undefined ? {} : { verified_at: address.verifiedAt }),
      created_at: address.createdAt,
      updated_at: address.updatedAt,
    })),
    recovery_addresses: identity.recoveryAddresses.map((address) => ({
      id: address.id,
      value: address.value,
      via: 'email',
      created_at: address.createdAt,
      updated_at: address.updatedAt,
    })),
    metadata_public: null,
    created_at: identity.createdAt,
    updated_at: identity.updatedAt,
    organization_id: null,
  }
}

/** A session as `/sessions/whoami` returns it. */
export function sessionJson(session: SessionRecord, identity: IdentityRecord, origin: string): Record<string, unknown> {
  const authenticated = iso(session.authenticatedAt)
  return {
    id: session.id,
    active: true,
    expires_at: iso(session.expiresAt),
    authenticated_at: authenticated,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: session.method, aal: 'aal1', completed_at: authenticated }],
    issued_at: iso(session.issuedAt),
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
