import type { IdentityContext } from '../context.js'
import type { Exchange } from '../exchange.js'
import { buildIdentity, createInput, type IdentityInput } from '../identity-body.js'
import { DUPLICATE, type IdentityRecord } from '../identity-store.js'
import { applyJsonPatch } from '../json-patch.js'
import { errors, kratosError, type KratosErrorBody } from '../kratos-errors.js'
import { paginate } from '../pagination.js'
import { adminIdentityJson, sessionJson } from '../session-json.js'

const IDENTITY_PATH = /^\/admin\/identities\/([^/]+)(?:\/sessions)?$/

/** Kratos' answer for an id nothing has (sqlcon's not-found). */
const notFound = () => kratosError(404, { message: 'Unable to locate the resource', reason: 'No identity has this id.' })
const conflict = () => kratosError(409, { reason: 'This identity conflicts with another identity that already exists.' })

/** The identity the path names, or undefined after answering 404. */
function identityOf(ctx: IdentityContext, ex: Exchange): IdentityRecord | undefined {
  const id = IDENTITY_PATH.exec(ex.url.pathname)?.[1]
  const identity = id === undefined ? undefined : ctx.identities.get(decodeURIComponent(id))
  if (identity === undefined) ex.error(notFound())
  return identity
}

/** `include_credential=password` asks for `credentials.password.config.hashed_password`. */
function includesPassword(ex: Exchange): boolean {
  return ex.url.searchParams.getAll('include_credential').includes('password')
}

/**
 * Checks an input and saves it as a new identity: 201 with `Location` and the identity, 409 when
 * an identifier is taken. Shared by `POST /admin/identities` and `--identities` (which gets the
 * error body back instead of an answer).
 */
export async function createIdentity(ctx: Pick<IdentityContext, 'schema' | 'identities'>, input: IdentityInput, now: number): Promise<Created> {
  const built = await buildIdentity(ctx.schema, undefined, input, now)
  if ('error' in built) return { error: built.error }
  const created = await ctx.identities.create({ ...built.fields, now })
  return created === DUPLICATE ? { error: conflict(), duplicate: built.fields.identifiers } : { identity: created }
}

/** A created identity, or why not (`duplicate`: the identifiers, when one was taken). */
export type Created =
  | { readonly identity: IdentityRecord }
  | { readonly error: KratosErrorBody; readonly duplicate?: readonly string[] }

/** `POST /admin/identities` (Kratos' `createIdentity`): traits, and a password or an imported hash. */
export async function createIdentityHandler(ctx: IdentityContext, ex: Exchange): Promise<void> {
  const body = await ex.readJson()
  if ('error' in body) return ex.error(body.error)
  const input = createInput(body.json)
  if ('error' in input) return ex.error(input.error)
  const created = await createIdentity(ctx, input, ex.now)
  if ('error' in created) return ex.error(created.error)
  ex.res.setHeader('location', `${adminOrigin(ex)}/admin/identities/${created.identity.id}`)
  ex.json(201, adminIdentityJson(created.identity, ctx.origin))
}

/** `GET /admin/identities` (Kratos' `listIdentities`): oldest first, `credentials_identifier` (exact) and `ids` filters, keyset pages. */
export function listIdentities(ctx: IdentityContext, ex: Exchange): void {
  const identifier = ex.query('credentials_identifier')
  const ids = ex.url.searchParams.getAll('ids')
  let found: IdentityRecord[]
  if (identifier !== null && identifier !== '') {
    const match = ctx.identities.findByIdentifier(identifier.trim().toLowerCase())
    found = match === undefined ? [] : [match]
  } else found = ctx.identities.list()
  if (ids.length > 0) found = found.filter((identity) => ids.includes(identity.id))
  const page = paginate(ex, found, (identity) => identity.id)
  if (page !== undefined) ex.json(200, page.map((identity) => adminIdentityJson(identity, ctx.origin, includesPassword(ex))))
}

/** `GET /admin/identities/{id}` (Kratos' `getIdentity`). */
export function getIdentity(ctx: IdentityContext, ex: Exchange): void {
  const identity = identityOf(ctx, ex)
  if (identity !== undefined) ex.json(200, adminIdentityJson(identity, ctx.origin, includesPassword(ex)))
}

/** `PUT /admin/identities/{id}` (Kratos' `updateIdentity`): the whole identity but its credentials, which change only when given. */
export async function updateIdentity(ctx: IdentityContext, ex: Exchange): Promise<void> {
  const identity = identityOf(ctx, ex)
  if (identity === undefined) return
  const body = await ex.readJson()
  if ('error' in body) return ex.error(body.error)
  const fields = (typeof body.json === 'object' && body.json !== null ? body.json : {}) as Record<string, unknown>
  await save(ctx, ex, identity, {
    schemaId: fields.schema_id,
    traits: fields.traits,
    state: fields.state,
    metadataPublic: fields.metadata_public,
    metadataAdmin: fields.metadata_admin,
    credentials: fields.credentials,
  })
}

/** Paths a patch may not touch (Kratos: the id and the credentials; timestamps are the server's). */
const FIXED = /^\/(id|credentials|created_at|updated_at|state_changed_at|stateChangedAt)(\/|$)/

/**
 * `PATCH /admin/identities/{id}` (Kratos' `patchIdentity`): a JSON Patch on the identity as the
 * admin API shows it; traits, state, schema, metadata and `verifiable_addresses[].verified` are
 * read back from the result and checked as an update is.
 */
export async function patchIdentity(ctx: IdentityContext, ex: Exchange): Promise<void> {
  const identity = identityOf(ctx, ex)
  if (identity === undefined) return
  const body = await ex.readJson()
  if ('error' in body) return ex.error(body.error)
  const fixed = Array.isArray(body.json) ? body.json.find((op) => [op?.path, op?.from].some((path) => typeof path === 'string' && FIXED.test(path))) : undefined
  if (fixed !== undefined) return ex.error(errors.badRequest(`An error occured when applying the JSON patch: ${String(fixed.path)} cannot be patched.`))
  const document = adminIdentityJson(identity, ctx.origin)
  const patched = applyJsonPatch(document, body.json)
  if ('error' in patched) return ex.error(errors.badRequest(`An error occured when applying the JSON patch: ${patched.error}`))
  const result = (patched.value ?? {}) as Record<string, unknown>
  await save(ctx, ex, identity, {
    schemaId: result.schema_id,
    traits: result.traits,
    state: result.state,
    metadataPublic: result.metadata_public,
    metadataAdmin: result.metadata_admin,
    verifiableAddresses: result.verifiable_addresses,
  })
}

async function save(ctx: IdentityContext, ex: Exchange, identity: IdentityRecord, input: IdentityInput): Promise<void> {
  const built = await buildIdentity(ctx.schema, identity, input, ex.now)
  if ('error' in built) return ex.error(built.error)
  const updated = await ctx.identities.update({ ...identity, ...built.fields, updatedAt: new Date(ex.now).toISOString() })
  if (updated === DUPLICATE) return ex.error(conflict())
  // Kratos: an identity made inactive is signed out everywhere.
  if (updated.state === 'inactive' && identity.state !== 'inactive') ctx.sessions.revokeIdentity(updated.id, ex.now)
  ex.json(200, adminIdentityJson(updated, ctx.origin))
}

/** `DELETE /admin/identities/{id}` (Kratos' `deleteIdentity`): 204, its sessions gone with it; 404 when there is none. */
export async function deleteIdentity(ctx: IdentityContext, ex: Exchange): Promise<void> {
  const identity = identityOf(ctx, ex)
  if (identity === undefined) return
  ctx.sessions.dropIdentity(identity.id, ex.now)
  await ctx.identities.delete(identity.id)
  ex.empty(204)
}

/** `GET /admin/identities/{id}/sessions` (Kratos' `listIdentitySessions`): `active` filter, keyset pages, identity and devices expanded. */
export function listIdentitySessions(ctx: IdentityContext, ex: Exchange): void {
  const identity = identityOf(ctx, ex)
  if (identity === undefined) return
  const active = ex.query('active')
  const sessions = ctx.sessions.list(ex.now, { identityId: identity.id, active: active === null ? undefined : active === 'true' })
  const page = paginate(ex, sessions, (session) => session.id)
  if (page !== undefined) ex.json(200, page.map((session) => sessionJson(session, identity, ctx.origin, undefined, ex.now)))
}

/** `DELETE /admin/identities/{id}/sessions` (Kratos' `deleteIdentitySessions`): every session of the identity ends; 204. */
export function deleteIdentitySessions(ctx: IdentityContext, ex: Exchange): void {
  const identity = identityOf(ctx, ex)
  if (identity === undefined) return
  ctx.sessions.revokeIdentity(identity.id, ex.now)
  ex.empty(204)
}

/** The admin listener's own origin, as the request reached it. */
function adminOrigin(ex: Exchange): string {
  return `http://${ex.header('host') ?? '127.0.0.1'}`
}
