import type { IdentityRecord } from './identity-store.js'
import type { SessionRecord } from './sessions.js'

const iso = (ms: number) => new Date(ms).toISOString()

/** An identity as Kratos' public API shows it (no credentials). */
export function identityJson(identity: IdentityRecord, origin: string): Record<string, unknown> {
  return {
    id: identity.id,
    schema_id: identity.schemaId,
    schema_url: `${origin}/schemas/${Buffer.from(identity.schemaId).toString('base64url')}`,
    state: identity.state ?? 'active',
    state_changed_at: identity.stateChangedAt ?? identity.createdAt,
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
    metadata_public: identity.metadataPublic ?? null,
    created_at: identity.createdAt,
    updated_at: identity.updatedAt,
    organization_id: null,
  }
}

/**
 * An identity as Kratos' admin API shows it: with `metadata_admin` and the password credential's
 * metadata (type, identifiers); its `config.hashed_password` only when asked
 * (`include_credential=password`).
 */
export function adminIdentityJson(identity: IdentityRecord, origin: string, includePassword = false): Record<string, unknown> {
  const password =
    identity.passwordHash === undefined
      ? {}
      : {
          password: {
            type: 'password',
            identifiers: identity.identifiers,
            version: 1,
            created_at: identity.createdAt,
            updated_at: identity.updatedAt,
            ...(includePassword ? { config: { hashed_password: identity.passwordHash } } : {}),
          },
        }
  return { ...identityJson(identity, origin), credentials: password, metadata_admin: identity.metadataAdmin ?? null }
}

/** What the admin API's `expand` adds to a session; whoami shows both. */
export interface SessionExpansion {
  readonly identity: boolean
  readonly devices: boolean
}

const EVERYTHING: SessionExpansion = { identity: true, devices: true }

/** A session as `/sessions/whoami` returns it (and the admin API, with what `expand` asks for). */
export function sessionJson(
  session: SessionRecord,
  identity: IdentityRecord | undefined,
  origin: string,
  expand: SessionExpansion = EVERYTHING,
  now = 0,
): Record<string, unknown> {
  const authenticated = iso(session.authenticatedAt)
  return {
    id: session.id,
    active: session.active && session.expiresAt > now,
    expires_at: iso(session.expiresAt),
    authenticated_at: authenticated,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: session.method, aal: 'aal1', completed_at: authenticated }],
    issued_at: iso(session.issuedAt),
    ...(expand.identity && identity !== undefined ? { identity: identityJson(identity, origin) } : {}),
    ...(expand.devices
      ? { devices: [{ id: session.device.id, ip_address: session.device.ipAddress, user_agent: session.device.userAgent, location: '' }] }
      : {}),
  }
}
