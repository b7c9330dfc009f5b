import { randomUUID } from 'node:crypto'
import { isPasswordHash } from './password.js'
import type { TraitAddresses } from './schema.js'
import type { SessionRecord } from './sessions.js'
import { StoreFile, storeError } from './store-file.js'

/** An address the schema marks for verification (Kratos' `verifiable_addresses[]`). */
export interface VerifiableAddress {
  readonly id: string
  /** Lower-cased and trimmed. */
  readonly value: string
  readonly verified: boolean
  /** ISO 8601, when `verified`. */
  readonly verifiedAt?: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** An address the schema marks for recovery (Kratos' `recovery_addresses[]`). */
export interface RecoveryAddress {
  readonly id: string
  readonly value: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** Kratos' identity states: an inactive identity cannot sign in, and its sessions stop working. */
export type IdentityState = 'active' | 'inactive'

/** One person: traits under the identity schema, a password, and the addresses the schema derives. */
export interface IdentityRecord {
  readonly id: string
  readonly schemaId: string
  readonly traits: Readonly<Record<string, unknown>>
  /** Password login identifiers, lower-cased (Kratos matches identifiers case-insensitively). */
  readonly identifiers: readonly string[]
  /** Absent for an identity created through the admin API without credentials: it cannot log in with a password. */
  readonly passwordHash?: string | undefined
  /** Absent means active (stores written before states existed). */
  readonly state?: IdentityState | undefined
  /** ISO 8601; absent means `createdAt`. */
  readonly stateChangedAt?: string | undefined
  /** Kratos' `metadata_public` (whoami shows it) and `metadata_admin` (the admin API only); absent is null. */
  readonly metadataPublic?: unknown
  readonly metadataAdmin?: unknown
  /** ISO 8601. */
  readonly createdAt: string
  readonly updatedAt: string
  readonly verifiableAddresses: readonly VerifiableAddress[]
  readonly recoveryAddresses: readonly RecoveryAddress[]
}

/** What {@link IdentityStore.create} and {@link IdentityStore.update} report when an identifier is taken. */
export const DUPLICATE = Symbol('duplicate identifier')

/** 3: sessions (token hashes) beside the identities; identity states and metadata. 1 and 2 are read and rewritten. */
const FORMAT_VERSION = 3

/**
 * The record for `traits` after a change: identifiers and addresses derived anew, keeping the id
 * and verification of every address whose value did not change (a changed address is a new,
 * unverified one, as in Kratos).
 */
export function withTraits(
  previous: Pick<IdentityRecord, 'verifiableAddresses' | 'recoveryAddresses'> | undefined,
  traits: Readonly<Record<string, unknown>>,
  addresses: TraitAddresses,
  now: number,
): Pick<IdentityRecord, 'traits' | 'identifiers' | 'verifiableAddresses' | 'recoveryAddresses'> {
  const at = new Date(now).toISOString()
  const verifiable = addresses.verifiable.map(
    (value): VerifiableAddress =>
      previous?.verifiableAddresses.find((a) => a.value === value) ?? {
        id: randomUUID(),
        value,
        verified: false,
        createdAt: at,
        updatedAt: at,
      },
  )
  const recovery = addresses.recovery.map(
    (value): RecoveryAddress =>
      previous?.recoveryAddresses.find((a) => a.value === value) ?? { id: randomUUID(), value, createdAt: at, updatedAt: at },
  )
  return { traits, identifiers: addresses.identifiers, verifiableAddresses: verifiable, recoveryAddresses: recovery }
}

/**
 * Identities in memory, optionally mirrored to a JSON file (`--identity-store`). Identifiers are
 * claimed synchronously, before any write starts, so two concurrent registrations of one email
 * cannot both succeed.
 */
export class IdentityStore {
  readonly #byId = new Map<string, IdentityRecord>()
  readonly #byIdentifier = new Map<string, IdentityRecord>()
  readonly #file: StoreFile | undefined
  #sessions: () => readonly SessionRecord[] = () => []
  /** The sessions the file held at open (format 3), for the session store to adopt; expired ones included. */
  storedSessions: readonly SessionRecord[] = []

  private constructor(path: string | undefined) {
    this.#file = path === undefined ? undefined : new StoreFile(path, () => this.#serialize())
  }

  /**
   * Opens the store: in memory without `path`; otherwise loads the file, or creates it when it does
   * not exist (so a bad path fails at start, not at the first sign-up). Rejects with
   * `ERR_IDENTITY_STORE` when the file cannot be read, parsed or written. A version 1 file (email
   * identities) and a version 2 one (no sessions) are read and written back as version 3.
   */
  static async open(path?: string): Promise<IdentityStore> {
    const store = new IdentityStore(path)
    const file = store.#file
    if (file === undefined) return store
    const text = await file.read()
    if (text === undefined) await file.save()
    else {
      const { version, records, sessions } = parseStore(text, file.path)
      for (const record of records) store.#index(record)
      store.storedSessions = sessions
      if (version !== FORMAT_VERSION) await file.save()
    }
    return store
  }

  /** Where the file's `sessions` come from at each write (the session store's snapshot). */
  attachSessions(source: () => readonly SessionRecord[]): void {
    this.#sessions = source
  }

  /** Writes the file (when there is one) with the current identities and sessions. */
  async save(): Promise<void> {
    await this.#file?.save()
  }

  /** Every identity, oldest first. */
  list(): IdentityRecord[] {
    return [...this.#byId.values()]
  }

  /** The file backing the store, if any. */
  get path(): string | undefined {
    return this.#file?.path
  }

  get size(): number {
    return this.#byId.size
  }

  get(id: string): IdentityRecord | undefined {
    return this.#byId.get(id)
  }

  findByIdentifier(identifier: string): IdentityRecord | undefined {
    return this.#byIdentifier.get(identifier)
  }

  /** The identity with this recovery address (lower-cased), if any. */
  findByRecoveryAddress(value: string): IdentityRecord | undefined {
    for (const identity of this.#byId.values()) if (identity.recoveryAddresses.some((a) => a.value === value)) return identity
    return undefined
  }

  /** The identity with this verifiable address (lower-cased), if any. */
  findByVerifiableAddress(value: string): IdentityRecord | undefined {
    for (const identity of this.#byId.values()) if (identity.verifiableAddresses.some((a) => a.value === value)) return identity
    return undefined
  }

  /**
   * Adds an identity and, with a file, resolves once it is on disk. Returns {@link DUPLICATE} when
   * an identifier is taken. A failed write takes the identity back out and rejects.
   */
  async create(fields: Omit<IdentityRecord, 'id' | 'createdAt' | 'updatedAt'> & { readonly now: number }): Promise<IdentityRecord | typeof DUPLICATE> {
    const { now, ...rest } = fields
    if (rest.identifiers.some((identifier) => this.#byIdentifier.has(identifier))) return DUPLICATE
    const at = new Date(now).toISOString()
    const record: IdentityRecord = { id: randomUUID(), ...rest, createdAt: at, updatedAt: at }
    this.#index(record)
    try {
      await this.#file?.save()
    } catch (error) {
      this.#unindex(record)
      throw error
    }
    return record
  }

  /**
   * Replaces an identity (same id) and, with a file, resolves once it is on disk. Returns
   * {@link DUPLICATE} when a new identifier belongs to someone else. A failed write restores the
   * previous record and rejects.
   */
  async update(next: IdentityRecord): Promise<IdentityRecord | typeof DUPLICATE> {
    const previous = this.#byId.get(next.id)
    if (previous === undefined) throw storeError(`identity ${next.id} does not exist`)
    if (next.identifiers.some((identifier) => (this.#byIdentifier.get(identifier)?.id ?? next.id) !== next.id)) return DUPLICATE
    this.#unindex(previous)
    this.#index(next)
    try {
      await this.#file?.save()
    } catch (error) {
      this.#unindex(next)
      this.#index(previous)
      throw error
    }
    return next
  }

  /** Removes an identity; false when there was none. A failed write puts it back and rejects. */
  async delete(id: string): Promise<boolean> {
    const record = this.#byId.get(id)
    if (record === undefined) return false
    this.#unindex(record)
    try {
      await this.#file?.save()
    } catch (error) {
      this.#index(record)
      throw error
    }
    return true
  }

  /** Resolves once pending writes are done. */
  async flush(): Promise<void> {
    await this.#file?.idle()
  }

  #index(record: IdentityRecord): void {
    this.#byId.set(record.id, record)
    for (const identifier of record.identifiers) this.#byIdentifier.set(identifier, record)
  }

  #unindex(record: IdentityRecord): void {
    this.#byId.delete(record.id)
    for (const identifier of record.identifiers) {
      if (this.#byIdentifier.get(identifier)?.id === record.id) this.#byIdentifier.delete(identifier)
    }
  }

  #serialize(): string {
    return `${JSON.stringify({ version: FORMAT_VERSION, identities: [...this.#byId.values()], sessions: this.#sessions() }, null, 2)}\n`
  }
}

/** Reads a store file back, refusing anything this code did not write (a hand edit gone wrong). */
function parseStore(text: string, path: string): { version: number; records: IdentityRecord[]; sessions: SessionRecord[] } {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (cause) {
    throw storeError(`${path} is not JSON: ${(cause as Error).message}`, cause)
  }
  const store = data as { version?: unknown; identities?: unknown; sessions?: unknown }
  if (typeof data !== 'object' || data === null || ![1, 2, FORMAT_VERSION].includes(store.version as number) || !Array.isArray(store.identities)) {
    throw storeError(`${path} is not an ory-proxy identity store (version ${FORMAT_VERSION})`)
  }
  const seen = new Set<string>()
  const records = store.identities.map((entry: unknown, index: number) => {
    const record = store.version === 1 && isVersion1(entry) ? fromVersion1(entry) : entry
    if (!isRecord(record) || record.identifiers.some((identifier) => seen.has(identifier))) {
      throw storeError(`${path}: identity #${index + 1} is malformed or a duplicate`)
    }
    for (const identifier of record.identifiers) seen.add(identifier)
    return record
  })
  const sessions = store.version === FORMAT_VERSION ? store.sessions : []
  if (!Array.isArray(sessions) || !sessions.every(isSession)) throw storeError(`${path}: a session is malformed`)
  return { version: store.version as number, records, sessions }
}

function isSession(value: unknown): value is SessionRecord {
  const session = value as Partial<SessionRecord> | null
  return (
    typeof session === 'object' &&
    session !== null &&
    typeof session.id === 'string' &&
    typeof session.tokenHash === 'string' &&
    typeof session.identityId === 'string' &&
    typeof session.expiresAt === 'number' &&
    typeof session.issuedAt === 'number' &&
    typeof session.authenticatedAt === 'number' &&
    typeof session.active === 'boolean' &&
    typeof session.device?.id === 'string'
  )
}

/** Version 1 held `traits.email` identities only. */
interface Version1Record {
  readonly id: string
  readonly email: string
  readonly identifier: string
  readonly passwordHash: string
  readonly createdAt: string
  readonly addressIds: { readonly verifiable: string; readonly recovery: string }
}

function isVersion1(value: unknown): value is Version1Record {
  const record = value as Partial<Version1Record> | null
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.id === 'string' &&
    typeof record.email === 'string' &&
    typeof record.identifier === 'string' &&
    typeof record.passwordHash === 'string' &&
    typeof record.createdAt === 'string' &&
    typeof record.addressIds?.verifiable === 'string' &&
    typeof record.addressIds.recovery === 'string'
  )
}

function fromVersion1(old: Version1Record): IdentityRecord {
  const at = old.createdAt
  return {
    id: old.id,
    schemaId: 'default',
    traits: { email: old.email },
    identifiers: [old.identifier],
    passwordHash: old.passwordHash,
    createdAt: at,
    updatedAt: at,
    verifiableAddresses: [{ id: old.addressIds.verifiable, value: old.identifier, verified: false, createdAt: at, updatedAt: at }],
    recoveryAddresses: [{ id: old.addressIds.recovery, value: old.identifier, createdAt: at, updatedAt: at }],
  }
}

function isRecord(value: unknown): value is IdentityRecord {
  const record = value as Partial<IdentityRecord> | null
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.id === 'string' &&
    typeof record.schemaId === 'string' &&
    typeof record.traits === 'object' &&
    record.traits !== null &&
    Array.isArray(record.identifiers) &&
    record.identifiers.every((identifier) => typeof identifier === 'string') &&
    (record.passwordHash === undefined || (typeof record.passwordHash === 'string' && isPasswordHash(record.passwordHash))) &&
    (record.state === undefined || record.state === 'active' || record.state === 'inactive') &&
    typeof record.createdAt === 'string' &&
    typeof record.updatedAt === 'string' &&
    Array.isArray(record.verifiableAddresses) &&
    record.verifiableAddresses.every((a) => typeof a?.id === 'string' && typeof a.value === 'string' && typeof a.verified === 'boolean') &&
    Array.isArray(record.recoveryAddresses) &&
    record.recoveryAddresses.every((a) => typeof a?.id === 'string' && typeof a.value === 'string')
  )
}
