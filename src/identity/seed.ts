import { ConfigError } from '../errors.js'
import { createIdentity, type Created } from './handlers/admin-identities.js'
import { createInput } from './identity-body.js'
import type { IdentityStore } from './identity-store.js'
import type { IdentitySchema } from './schema.js'

/**
 * Imports `--identities`: the admin API's create bodies, one after the other, checked as
 * `POST /admin/identities` checks them. An identity whose identifier the store already held
 * (a restart with `--identity-store`) is skipped; anything else wrong stops the start with one
 * line naming the entry. Resolves with how many were created and skipped.
 */
export async function importIdentities(
  schema: IdentitySchema,
  identities: IdentityStore,
  entries: unknown,
  source: string,
  now: number,
): Promise<{ readonly created: number; readonly skipped: number }> {
  const fail = (reason: string): never => {
    throw new ConfigError(`--identities: ${source}: ${reason}`)
  }
  if (!Array.isArray(entries)) return fail('must be a JSON array of identities (the admin API\'s create bodies)')
  const before = new Set(identities.list().flatMap((identity) => identity.identifiers))
  let created = 0
  let skipped = 0
  for (const [index, entry] of entries.entries()) {
    const input = createInput(entry)
    const result: Created = 'error' in input ? { error: input.error } : await createIdentity({ schema, identities }, input, now)
    if ('identity' in result) created++
    else if (result.duplicate?.every((identifier) => before.has(identifier))) skipped++
    else fail(`identity #${index + 1}: ${result.error.error.reason ?? result.error.error.message}`)
  }
  return { created, skipped }
}
