import { randomUUID } from 'node:crypto'
import { isPasswordHash } from './password.js'
import { StoreFile, storeError } from './store-file.js'

/** One registered person: the `traits.email` + password identity schema. */
export interface IdentityRecord {
  readonly id: string
  /** `traits.email` as the person typed it (trimmed). */
  readonly email: string
  /** The login identifier: the email, lower-cased (Kratos matches email identifiers case-insensitively). */
  readonly identifier: string
  readonly passwordHash: string
  /** ISO 8601. */
  readonly createdAt: string
  /** Ids of the verifiable and recovery address entries Kratos lists for the email. */
  readonly addressIds: { readonly verifiable: string; readonly recovery: string }
}

/** What {@link IdentityStore.create} reports when the identifier is taken. */
export const DUPLICATE = Symbol('duplicate identifier')

const FORMAT_VERSION = 1

/**
 * Identities in memory, optionally mirrored to a JSON file (`--identity-store`). An identifier is
 * claimed synchronously, before any write starts, so two concurrent registrations of one email
 * cannot both succeed.
 */
export class IdentityStore {
  readonly #byId = new Map<string, IdentityRecord>()
  readonly #byIdentifier = new Map<string, IdentityRecord>()
  readonly #file: StoreFile | undefined

  private constructor(path: string | undefined) {
    this.#file = path === undefined ? undefined : new StoreFile(path, () => this.#serialize())
  }

  /**
   * Opens the store: in memory without `path`; otherwise loads the file, or creates it when it does
   * not exist (so a bad path fails at start, not at the first sign-up). Rejects with
   * `ERR_IDENTITY_STORE` when the file cannot be read, parsed or written.
   */
  static async open(path?: string): Promise<IdentityStore> {
    const store = new IdentityStore(path)
    const file = store.#file
    if (file === undefined) return store
    const text = await file.read()
    if (text === undefined) await file.save()
    else for (const record of parseStore(text, file.path)) store.#add(record)
    return store
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

  /**
   * Adds an identity and, with a file, resolves once it is on disk. Returns {@link DUPLICATE} when
   * the identifier is taken. A failed write takes the identity back out and rejects.
   */
  async create(fields: { email: string; identifier: string; passwordHash: string; now: number }): Promise<IdentityRecord | typeof DUPLICATE> {
    if (this.#byIdentifier.has(fields.identifier)) return DUPLICATE
    const record: IdentityRecord = {
      id: randomUUID(),
      email: fields.email,
      identifier: fields.identifier,
      passwordHash: fields.passwordHash,
      createdAt: new Date(fields.now).toISOString(),
      addressIds: { verifiable: randomUUID(), recovery: randomUUID() },
    }
    this.#add(record)
    if (this.#file === undefined) return record
    try {
      await this.#file.save()
    } catch (error) {
      this.#byId.delete(record.id)
      this.#byIdentifier.delete(record.identifier)
      throw error
    }
    return record
  }

  /** Resolves once pending writes are done. */
  async flush(): Promise<void> {
    await this.#file?.idle()
  }

  #add(record: IdentityRecord): void {
    this.#byId.set(record.id, record)
    this.#byIdentifier.set(record.identifier, record)
  }

  #serialize(): string {
    return `${JSON.stringify({ version: FORMAT_VERSION, identities: [...this.#byId.values()] }, null, 2)}\n`
  }
}

/** Reads a store file back, refusing anything this code did not write (a hand edit gone wrong). */
function parseStore(text: string, path: string): IdentityRecord[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (cause) {
    throw storeError(`${path} is not JSON: ${(cause as Error).message}`, cause)
  }
  const store = data as { version?: unknown; identities?: unknown }
  if (typeof data !== 'object' || data === null || store.version !== FORMAT_VERSION || !Array.isArray(store.identities)) {
    throw storeError(`${path} is not an ory-proxy identity store (version ${FORMAT_VERSION})`)
  }
  const seen = new Set<string>()
  return store.identities.map((entry: unknown, index: number) => {
    if (!isRecord(entry) || seen.has(entry.identifier)) {
      throw storeError(`${path}: identity #${index + 1} is malformed or a duplicate`)
    }
    seen.add(entry.identifier)
    return entry
  })
}

function isRecord(value: unknown): value is IdentityRecord {
  const record = value as Partial<IdentityRecord> | null
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.id === 'string' &&
    typeof record.email === 'string' &&
    typeof record.identifier === 'string' &&
    typeof record.passwordHash === 'string' &&
    isPasswordHash(record.passwordHash) &&
    typeof record.createdAt === 'string' &&
    typeof record.addressIds?.verifiable === 'string' &&
    typeof record.addressIds.recovery === 'string'
  )
}
