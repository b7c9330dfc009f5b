import { withTraits, type IdentityRecord, type IdentityState, type VerifiableAddress } from './identity-store.js'
import { errors, kratosError, type KratosErrorBody } from './kratos-errors.js'
import { hashPassword, importableHash } from './password.js'
import { SCHEMA_ID, type IdentitySchema } from './schema.js'
import { MAX_PASSWORD_LENGTH } from './validation.js'

/** What the admin API (create, update, patch) and `--identities` say about an identity, before checking. */
export interface IdentityInput {
  /** `schema_id`; undefined keeps the identity's (or the default). */
  readonly schemaId?: unknown
  readonly traits: unknown
  /** undefined keeps the identity's state (or active). */
  readonly state?: unknown
  readonly metadataPublic?: unknown
  readonly metadataAdmin?: unknown
  /** `verifiable_addresses` as given: an address of the traits listed `verified: true` is imported verified. */
  readonly verifiableAddresses?: unknown
  /** `credentials`: only `password` (`config.password` or `config.hashed_password`); undefined keeps the password. */
  readonly credentials?: unknown
}

/** An identity's fields (no id or timestamps of its own), or Kratos' 400 saying what is wrong. */
export type BuiltIdentity =
  | { readonly fields: Omit<IdentityRecord, 'id' | 'createdAt' | 'updatedAt'> }
  | { readonly error: KratosErrorBody }

/** The create body's fields (Kratos decodes it strictly: any other field is a 400). */
const CREATE_FIELDS = new Set([
  'schema_id',
  'traits',
  'credentials',
  'verifiable_addresses',
  'recovery_addresses',
  'metadata_public',
  'metadata_admin',
  'state',
  'external_id',
  'organization_id',
])

/** Kratos' `createIdentityBody` as an {@link IdentityInput}, or a 400. */
export function createInput(body: unknown): IdentityInput | { readonly error: KratosErrorBody } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: errors.badRequest('The request body must be a JSON object.') }
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).find((key) => !CREATE_FIELDS.has(key))
  if (unknown !== undefined) return { error: errors.badRequest(`json: unknown field "${unknown}"`) }
  for (const key of ['external_id', 'organization_id']) {
    if (fields[key] !== undefined && fields[key] !== null) return { error: errors.badRequest(`${key} is not supported by the built-in identity server.`) }
  }
  return {
    schemaId: fields.schema_id,
    traits: fields.traits,
    state: fields.state,
    metadataPublic: fields.metadata_public,
    metadataAdmin: fields.metadata_admin,
    verifiableAddresses: fields.verifiable_addresses,
    credentials: fields.credentials,
  }
}

/**
 * Checks an {@link IdentityInput} against the schema, as Kratos' identity manager does, and builds
 * the identity's fields on top of `previous` (an update) or from nothing (a create): traits valid,
 * a login identifier present, state `active` or `inactive`, a password hashed or an imported hash
 * this server can check. Metadata is replaced (absent is null), as Kratos' PUT does.
 */
export async function buildIdentity(schema: IdentitySchema, previous: IdentityRecord | undefined, input: IdentityInput, now: number): Promise<BuiltIdentity> {
  const schemaId = input.schemaId ?? previous?.schemaId ?? schema.id
  if (schemaId !== '' && schemaId !== schema.id && !(schemaId === 'preset://email' && schema.id === SCHEMA_ID)) {
    return { error: errors.badRequest(`unable to find JSON Schema ID: ${String(schemaId)}`) }
  }
  if (typeof input.traits !== 'object' || input.traits === null || Array.isArray(input.traits)) {
    return { error: errors.badRequest('traits must be a JSON object.') }
  }
  const traits = input.traits as Record<string, unknown>
  const problems = schema.validateTraits(traits)
  const names = Object.keys(problems)
  if (names.length > 0) {
    const reason = names.map((name) => `${name}: ${problems[name]!.map((text) => text.text).join(', ')}`).join('; ')
    return { error: kratosError(400, { reason: `The identity's traits do not match the identity schema: ${reason}`, details: { messages: problems } }) }
  }
  const addresses = schema.addressesOf(traits)
  if (addresses.identifiers.length === 0) return { error: errors.badRequest('The identity has no login identifier (its schema marks none of its traits as one).') }
  const state = input.state === undefined || input.state === '' ? (previous?.state ?? 'active') : input.state
  if (state !== 'active' && state !== 'inactive') {
    return { error: errors.badRequest(`The supplied state ('${String(state)}') was not valid. Valid states are ('active', 'inactive').`) }
  }
  const password = await passwordOf(input.credentials, previous?.passwordHash)
  if ('error' in password) return password
  const derived = withTraits(previous, traits, addresses, now)
  const verified = verifiedValues(input.verifiableAddresses)
  const at = new Date(now).toISOString()
  return {
    fields: {
      schemaId: schema.id,
      ...derived,
      verifiableAddresses: derived.verifiableAddresses.map((address) => markVerified(address, verified.get(address.value), at)),
      passwordHash: password.hash,
      state: state as IdentityState,
      stateChangedAt: previous === undefined || previous.state === state ? (previous?.stateChangedAt ?? at) : at,
      metadataPublic: input.metadataPublic ?? null,
      metadataAdmin: input.metadataAdmin ?? null,
    },
  }
}

/** `credentials.password.config`: a password to hash, or a hash to import; no credentials keep `current`. */
async function passwordOf(credentials: unknown, current: string | undefined): Promise<{ hash: string | undefined } | { error: KratosErrorBody }> {
  if (credentials === undefined || credentials === null) return { hash: current }
  if (typeof credentials !== 'object' || Array.isArray(credentials)) return { error: errors.badRequest('credentials must be a JSON object.') }
  const { password, ...others } = credentials as Record<string, unknown>
  const other = Object.keys(others).find((key) => others[key] !== null && others[key] !== undefined)
  if (other !== undefined) return { error: errors.badRequest(`credentials.${other} is not supported by the built-in identity server (passwords only).`) }
  if (password === undefined || password === null) return { hash: current }
  const config = (password as { config?: unknown }).config
  if (typeof config !== 'object' || config === null) return { error: errors.badRequest('credentials.password.config must be a JSON object.') }
  const { password: plain, hashed_password: hashed, use_password_migration_hook: hook } = config as Record<string, unknown>
  if (hook === true) return { error: errors.badRequest('use_password_migration_hook is not supported by the built-in identity server.') }
  if (typeof hashed === 'string' && hashed !== '') {
    const hash = importableHash(hashed)
    if (hash === undefined) {
      return {
        error: errors.badRequest(
          'credentials.password.config.hashed_password is not a hash the built-in identity server can check: use bcrypt ($2a$, $2b$, $2y$), argon2id or argon2i ($argon2id$v=19$…), PBKDF2 ($pbkdf2-sha256$i=…,l=…$…) or scrypt ($scrypt$ln=…), within bounded costs.',
        ),
      }
    }
    return { hash }
  }
  if (typeof plain === 'string' && plain !== '') {
    if ([...plain].length > MAX_PASSWORD_LENGTH) return { error: errors.badRequest(`credentials.password.config.password must be at most ${MAX_PASSWORD_LENGTH} characters.`) }
    return { hash: await hashPassword(plain) }
  }
  return { error: errors.badRequest('credentials.password.config needs password or hashed_password.') }
}

/** `verifiable_addresses` as given, by lower-cased value: which are marked verified (true) or not (false). */
function verifiedValues(list: unknown): Map<string, boolean> {
  const values = new Map<string, boolean>()
  if (!Array.isArray(list)) return values
  for (const entry of list) {
    const { value, verified } = (entry ?? {}) as { value?: unknown; verified?: unknown }
    if (typeof value === 'string' && typeof verified === 'boolean') values.set(value.trim().toLowerCase(), verified)
  }
  return values
}

function markVerified(address: VerifiableAddress, verified: boolean | undefined, at: string): VerifiableAddress {
  if (verified === undefined || verified === address.verified) return address
  if (!verified) {
    const { verifiedAt: _dropped, ...rest } = address
    return { ...rest, verified: false, updatedAt: at }
  }
  return { ...address, verified: true, verifiedAt: at, updatedAt: at }
}
